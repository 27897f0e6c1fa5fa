/**
 * TypeScript declarations for `window.voiceflow.chat`, as defined by `eventflow.min.js` (the eventflow chat
 * widget, a drop-in for the Voiceflow web chat). Publish this file beside `eventflow.min.js`; in TypeScript or in
 * JavaScript checked by an editor (`// @ts-check`), reference it:
 *
 *     /// <reference path="./eventflow.d.ts" />
 *     window.voiceflow.chat.load({ agent: '/agents/shop.json' });
 *
 * Every option, method, trace, event and error below is documented in docs/embedding.md.
 */

declare namespace Eventflow {
  // ---- requests: what interact() sends (the Voiceflow Dialog API's request forms, SPEC §3.1) ----

  /** Fields every action may carry. */
  interface ActionBase {
    /** A client id: an action whose `custom_id` was already handled in this session is ignored. */
    custom_id?: string | number;
    /** Client-set metadata, an object, kept on the action's transcript entry (docs/transcript.md). */
    properties?: { [key: string]: unknown } & object;
  }

  /** `payload.actions` of any action: each `open_url` opens its (http, https, mailto) URL in a new tab. */
  interface OpenUrlAction {
    type: 'open_url';
    payload: { url: string };
  }

  interface LaunchAction extends ActionBase {
    type: 'launch';
    payload?: unknown;
  }

  interface TextAction extends ActionBase {
    type: 'text';
    payload: string | number | boolean;
  }

  interface IntentAction extends ActionBase {
    type: 'intent';
    payload: {
      intent: { name: string };
      query?: string;
      entities?: { name: string; value: unknown }[];
      actions?: OpenUrlAction[];
    };
  }

  /** A named event (SPEC §4): `{type: 'event', payload: {event: {name: 'checkout', data: {total: 120}}}}`. */
  interface EventAction extends ActionBase {
    type: 'event';
    payload: { event: { name: string; data?: unknown }; actions?: OpenUrlAction[] } | { name: string; data?: unknown };
  }

  interface NoReplyAction extends ActionBase {
    type: 'no-reply';
    payload?: unknown;
  }

  /** An attached file's metadata (nothing is uploaded); the agent raises `fileEvent` or `fileTooBigEvent`. */
  interface FileAction extends ActionBase {
    type: 'file';
    payload: { name: string; content_type: string; size: number; width?: number; height?: number; url?: string };
  }

  /** A button path (`path-*`) or a custom action's path: any other type. */
  interface PathAction extends ActionBase {
    type: string;
    payload?: { label?: string; actions?: OpenUrlAction[]; [key: string]: unknown } | null;
  }

  /** The request forms with a payload of their own. */
  type KnownAction = LaunchAction | TextAction | IntentAction | EventAction | NoReplyAction | FileAction;

  type Action = KnownAction | PathAction;

  /** The action of type `T`: a known form's shape, or a path's for any other type. */
  type ActionOf<T extends string> = T extends KnownAction['type'] ? Extract<KnownAction, { type: T }> : PathAction;

  // ---- traces: what the agent answers (SPEC §3.2), the Voiceflow Dialog API's JSON ----

  interface TraceBase {
    /** Epoch milliseconds of the turn that produced it. */
    time?: number;
  }

  interface Button {
    name: string;
    /** The action the button sends. */
    request: Action;
  }

  interface Card {
    title: string;
    description: { text: string };
    imageUrl?: string | null;
    buttons: Button[];
  }

  interface TextTrace extends TraceBase {
    type: 'text';
    payload: {
      /** Markdown (a chat subset, see docs/embedding.md). */
      message: string;
      /** Milliseconds of typing indicator before it shows. */
      delay?: number;
      slate?: { id: string; content: unknown[]; messageDelayMilliseconds?: number };
      ai?: boolean;
    };
  }

  interface ChoiceTrace extends TraceBase {
    type: 'choice';
    payload: { buttons: Button[] };
  }

  interface CardTrace extends TraceBase {
    type: 'cardV2';
    payload: Card;
  }

  interface CarouselTrace extends TraceBase {
    type: 'carousel';
    payload: { layout?: 'Carousel' | 'List' | string; cards: Card[] };
  }

  interface VisualTrace extends TraceBase {
    type: 'visual';
    payload: { visualType?: string; image?: string | null; dimensions?: { width: number; height: number } | null };
  }

  interface NoReplyTrace extends TraceBase {
    type: 'no-reply';
    /** Seconds without input before `{type: 'no-reply'}` is sent. */
    payload: { timeout: number };
  }

  interface EndTrace extends TraceBase {
    type: 'end';
    payload?: null;
  }

  interface PathTrace extends TraceBase {
    type: 'path';
    payload: { path: string };
  }

  interface DebugTrace extends TraceBase {
    type: 'debug';
    payload: { message: string; type?: string };
  }

  interface FlowTrace extends TraceBase {
    type: 'flow';
    payload: { diagramID: string; name?: string };
  }

  interface BlockTrace extends TraceBase {
    type: 'block';
    payload: { blockID: string };
  }

  /** A custom action (`type` is its name) or any type the widget does not know: extensions may render it. */
  interface CustomTrace extends TraceBase {
    type: string;
    payload?: any;
    paths?: { event?: unknown; [key: string]: unknown }[];
    defaultPath?: number;
  }

  type Trace =
    | TextTrace
    | ChoiceTrace
    | CardTrace
    | CarouselTrace
    | VisualTrace
    | NoReplyTrace
    | EndTrace
    | PathTrace
    | DebugTrace
    | FlowTrace
    | BlockTrace
    | CustomTrace;

  // ---- load() ----

  /** Draws a trace into the chat, in place of the built-in rendering; may return a cleanup function. */
  interface ResponseExtension {
    name: string;
    type: 'response';
    match(arg: { trace: Trace }): boolean;
    render?(arg: { trace: Trace; element: HTMLElement }): (() => void) | void;
  }

  /** Runs beside the built-in rendering (never instead of it); not again when a saved conversation is shown. */
  interface EffectExtension {
    name: string;
    type: 'effect';
    match(arg: { trace: Trace }): boolean;
    effect?(arg: { trace: Trace }): Promise<void> | void;
  }

  type Extension = ResponseExtension | EffectExtension;

  /** Maps page elements to an event: `{selector: '#buy', on: 'click', event: 'checkout', open: true}`. */
  interface Listener {
    /** A CSS selector; checked by `load()`. */
    selector: string;
    /** A DOM event type; `click` by default. */
    on?: string;
    /** The event name sent. */
    event: string;
    /** The event data; without it, the element's `data-vf-data` (JSON). */
    data?: unknown;
    /** Also open the chat. */
    open?: boolean;
  }

  interface Assistant {
    /** Header title and dialog label; `'Assistant'` by default. */
    title?: string;
    description?: string;
    /** Header image: http, https or `data:image` URL. */
    image?: string;
    /** The agent's avatar next to messages (default: `image`). */
    avatar?: string;
    /** Theme colour, any CSS colour. */
    color?: string;
    position?: 'left' | 'right';
    /** Overlay distance from the window edges, in pixels; 30 each by default. */
    spacing?: { side?: number; bottom?: number };
    /** Extra CSS inside the widget's shadow root: http(s), relative or `data:text/css` URLs. */
    stylesheet?: string | string[];
    /** Where the conversation is kept; `'localStorage'` by default. */
    persistence?: 'localStorage' | 'sessionStorage' | 'memory';
    extensions?: Extension[];
    /** The input's placeholder; `'Message…'` by default. */
    inputPlaceholder?: string;
    /** Thumbs up / down on agent messages; `true` by default. */
    feedback?: boolean;
  }

  interface CommonConfig {
    /** `projectID` names the storage key `voiceflow-session-{projectID}` (and the project in remote mode). */
    verify?: { projectID: string };
    /** The session's user id (a string is URL-decoded); default: 128 random bits, kept with the conversation. */
    userID?: string | number;
    /** Transcript metadata. */
    user?: { name?: string; image?: string };
    /** Launch the conversation when the chat opens; `true` in overlay mode, `false` embedded. */
    autostart?: boolean;
    /** Overlay (a launcher and a window) or embedded in `target` (an element or a CSS selector). */
    render?: { mode?: 'overlay' | 'embedded'; target?: HTMLElement | string };
    /** The action sent instead of `{type: 'launch'}` when a conversation starts. */
    launch?: { event?: Action };
    assistant?: Assistant;
    /** Page elements mapped to events. */
    listeners?: Listener[];
    /** Accepted and ignored (with a console warning): agent HTML is always shown as text. */
    allowDangerousHTML?: boolean;
  }

  /** Local mode: the agent runs in the page. */
  interface LocalConfig extends CommonConfig {
    /** An agent object (docs/agent-format.md) or the URL of an agent file. */
    agent: object | string;
    /** Accepted for compatibility with the Voiceflow snippet. */
    url?: string;
    versionID?: string;
  }

  /** Remote mode: every turn goes to a runtime that speaks the Voiceflow Dialog API. */
  interface RemoteConfig extends CommonConfig {
    agent?: undefined;
    verify: { projectID: string };
    /** The runtime: http(s) or a path on the page's origin; `https://general-runtime.voiceflow.com` by default. */
    url?: string;
    /** Sent as the `versionID` header (`production`, `development` or a version id). */
    versionID?: string;
    /** The time limit of one attempt of a turn (100 to 600000 ms, default 30000) and its automatic retries (0 to
     * 10, default 4). */
    remote?: { timeoutMs?: number; retries?: number };
  }

  type LoadConfig = LocalConfig | RemoteConfig;

  // ---- events for the page: on(type, handler) and window.postMessage ----

  /** react-chat's shape of a turn in the session summary. */
  type Turn =
    | { id: string; type: 'user'; message: string; timestamp: number }
    | { id: string; type: 'system'; timestamp: number; messages: unknown[]; actions?: Button[] };

  interface SessionSummary {
    userID: string;
    turns: Turn[];
    startTime: number;
    status: 'IDLE' | 'ACTIVE' | 'ENDED';
  }

  /** A rating of an agent message: Voiceflow's feedback body, with `rating` and `messageID`. */
  interface Feedback {
    name: 'Thumbs up' | 'Thumbs down';
    /** The rated message. */
    text: string[];
    /** What the user said last before it, if anything. */
    lastUserTurn: string | null;
    rating: 'up' | 'down';
    /** The transcript id of the rated message. */
    messageID: string;
  }

  interface ChatEventMap {
    'voiceflow:open': { type: 'voiceflow:open' };
    'voiceflow:close': { type: 'voiceflow:close' };
    'voiceflow:interact': { type: 'voiceflow:interact'; payload: { session: SessionSummary; action: Action } };
    'voiceflow:save_session': { type: 'voiceflow:save_session'; payload: SessionSummary };
    'voiceflow:feedback': { type: 'voiceflow:feedback'; payload: Feedback };
  }

  type LongEventType = keyof ChatEventMap;
  /** `'open'` names the same event as `'voiceflow:open'`. */
  type ShortEventType = LongEventType extends `voiceflow:${infer S}` ? S : never;
  type ChatEvent = ChatEventMap[LongEventType];
  type ChatEventType = LongEventType | ShortEventType | '*';
  type EventOf<K extends ChatEventType> = K extends LongEventType
    ? ChatEventMap[K]
    : K extends ShortEventType
      ? ChatEventMap[`voiceflow:${K}`]
      : ChatEvent;

  // ---- errors ----

  type ErrorCode =
    | 'invalid_config'
    | 'invalid_agent'
    | 'agent_fetch'
    | 'already_loaded'
    | 'destroyed'
    | 'not_loaded'
    | 'invalid_handler'
    | 'render_failed'
    | 'load_failed'
    | 'no_window'
    | 'network'
    | 'timeout'
    | 'unavailable'
    | 'bad_answer'
    | 'refused'
    | 'no_thread'
    | 'invalid_request'
    | 'invalid_json'
    | 'invalid_event_name'
    | 'system_event'
    | 'invalid_event_data'
    | 'invalid_file'
    | 'payload_too_large'
    | 'request_too_large'
    | (string & {});

  /** Every rejection and thrown error: `code` is stable; the message starts with the bad field for a config. */
  interface ChatError extends Error {
    name: 'EventflowError';
    code: ErrorCode;
    /** `invalid_agent`: every validation error with its path. */
    errors?: { path: string; message: string }[];
  }

  // ---- the API ----

  interface Chat {
    /** Resolves once the widget is ready (agent loaded, conversation restored, early calls replayed); rejects
     * with a `ChatError`. Calls made before are queued and replayed in order. */
    load(config: LoadConfig): Promise<void>;
    /** Open the chat window (overlay mode); launches the conversation if it never started and `autostart` is on. */
    open(): void;
    close(): void;
    /** Hide / show the whole widget, launcher included. */
    hide(): void;
    show(): void;
    /** Send an action as if from the user or the page; resolves when its turn ran, rejects with a `ChatError`. */
    interact<T extends string>(action: { type: T } & ActionOf<T>): Promise<void>;
    proactive: {
      /** Text traces show as messages above the launcher while the chat is closed; other types are ignored. */
      push(...traces: Trace[]): void;
      clear(): void;
    };
    /** Remove the widget from the page; later calls warn until the next `load()`. */
    destroy(): void;
    /** Call `handler` for each event of this type (`'*'`: all); returns the function that unsubscribes it. */
    on<K extends ChatEventType>(type: K, handler: (event: EventOf<K>) => void): () => void;
    off<K extends ChatEventType>(type: K, handler: (event: EventOf<K>) => void): void;
  }
}

interface Window {
  /** Other members of `window.voiceflow` are left as they are. */
  voiceflow: { chat: Eventflow.Chat; [member: string]: unknown };
}
