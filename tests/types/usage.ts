// Type-checked by `./build.sh test` against www/eventflow.d.ts (tsc --strict --noEmit): what a page may write
// compiles, and each `@ts-expect-error` line is a mistake the declarations must reject (tsc fails when one is
// accepted).
/// <reference path="../../www/eventflow.d.ts" />

const chat = window.voiceflow.chat;

async function page(): Promise<void> {
  await chat.load({
    verify: { projectID: 'shop' },
    agent: '/agents/shop.json',
    userID: 42,
    render: { mode: 'embedded', target: '#chat' },
    launch: { event: { type: 'event', payload: { event: { name: 'welcome_back' } } } },
    assistant: {
      title: 'Shop',
      persistence: 'sessionStorage',
      feedback: false,
      stylesheet: ['/chat.css'],
      extensions: [
        {
          name: 'map',
          type: 'response',
          match: ({ trace }) => trace.type === 'map_pin',
          render: ({ trace, element }) => {
            element.textContent = 'Map of ' + String(trace.payload.city);
            return () => undefined;
          },
        },
        {
          name: 'analytics',
          type: 'effect',
          match: ({ trace }) => trace.type === 'text',
          effect: ({ trace }) => {
            if (trace.type === 'text') console.log((trace as Eventflow.TextTrace).payload.message);
          },
        },
      ],
    },
    listeners: [{ selector: '#newsletter', on: 'click', event: 'newsletter_signup', open: true }],
  });
  // Remote mode: a runtime URL instead of an agent.
  const remote: Eventflow.LoadConfig = {
    verify: { projectID: 'abc' },
    url: 'https://general-runtime.voiceflow.com',
    versionID: 'production',
    remote: { timeoutMs: 20000, retries: 2 },
  };
  void remote;

  chat.open();
  await chat.interact({
    type: 'event',
    payload: { event: { name: 'checkout', data: { total: 120 } } },
    properties: { source: 'pricing-page' },
    custom_id: 'order-17',
  });
  await chat.interact({ type: 'text', payload: 'where is my order' });
  await chat.interact({ type: 'path-main.menu.1', payload: { label: 'Pricing' } });
  chat.proactive.push({ type: 'text', payload: { message: 'Need help?' } });

  const off = chat.on('feedback', (e) => {
    const rating: 'up' | 'down' = e.payload.rating;
    const text: string = e.payload.text[0];
    console.log(rating, text, e.payload.lastUserTurn, e.payload.messageID);
  });
  off();
  chat.on('voiceflow:interact', (e) => console.log(e.payload.session.status, e.payload.action.type));
  chat.on('save_session', (e) => console.log(e.payload.turns.length));
  chat.on('*', (e) => console.log(e.type));

  try {
    await chat.interact({ type: 'event', payload: { event: { name: 'bad name' } } });
  } catch (err) {
    const e = err as Eventflow.ChatError;
    if (e.code === 'invalid_event_name') console.warn(e.message);
    for (const { path, message } of e.errors ?? []) console.warn(path, message);
  }
  chat.destroy();
}
void page;

function mistakes(): void {
  // @ts-expect-error load() needs a config
  void chat.load();
  // @ts-expect-error position is 'left' or 'right'
  void chat.load({ agent: {}, assistant: { position: 'middle' } });
  // @ts-expect-error persistence is one of three storages
  void chat.load({ agent: {}, assistant: { persistence: 'cookies' } });
  // @ts-expect-error remote mode needs verify.projectID
  void chat.load({ url: 'https://runtime.example' });
  // @ts-expect-error an extension's type is 'response' or 'effect'
  void chat.load({ agent: {}, assistant: { extensions: [{ name: 'x', type: 'other', match: () => true }] } });
  // @ts-expect-error a text action's payload is the text
  void chat.interact({ type: 'text', payload: { text: 'hi' } });
  // @ts-expect-error an event needs its name
  void chat.interact({ type: 'event', payload: { event: { data: 1 } } });
  // @ts-expect-error properties is an object
  void chat.interact({ type: 'launch', properties: 'x' });
  // @ts-expect-error no such event
  chat.on('opened', () => undefined);
  // @ts-expect-error the feedback payload has no score
  chat.on('feedback', (e) => e.payload.score);
  // @ts-expect-error open() takes nothing back
  const x: Promise<void> = chat.open();
  void x;
}
void mistakes;
