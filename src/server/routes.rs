//! The routes: the Dialog API (public and keyed), the Inbound Events API, the live stream, the legacy widget's
//! extras, `/health`; and the layers around them (CORS, the origin check on the public routes, API keys on the
//! keyed ones, body size and read-time limits, compression that leaves the event stream alone).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;

use super::auth;
use super::error::ApiError;
use super::runner::{check_user, session_key, Op, Shared};
use super::stream;
use crate::engine::{Body, Envelope, MAX_REQUEST_BYTES};
use crate::json::{self, Map, Value};

/// How long a client may take to send a request body.
const BODY_TIME: Duration = Duration::from_secs(10);
/// The longest `Idempotency-Key`, in bytes.
const MAX_IDEMPOTENCY_KEY: usize = 255;

pub fn router(s: Shared) -> Router {
    let public = Router::new()
        .route("/public/{project}/state/user/{user}/interact", post(public_interact))
        .route("/public/{project}/state/user/{user}/stream", get(stream::stream))
        .route("/public/{project}/publishing", get(publishing))
        .route("/public/{project}/transcripts", post(transcripts))
        .route("/feedback/{project}/user/{user}", post(feedback))
        .layer(from_fn_with_state(s.clone(), auth::allow_origin));
    let keyed = Router::new()
        .route("/state/user/{user}/interact", post(keyed_interact))
        .route("/state/user/{user}", get(get_state).put(put_state).delete(delete_state))
        .route("/state/user/{user}/variables", patch(patch_variables))
        .route("/events", post(events))
        .route_layer(from_fn_with_state(s.clone(), auth::require_key));
    Router::new()
        .route("/health", get(health))
        .merge(public)
        .merge(keyed)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIME))
        // The default predicate never compresses text/event-stream (a compressed stream would be buffered).
        .layer(CompressionLayer::new())
        // Outermost, so a preflight is answered before routing (a route knows only its own methods).
        .layer(cors(&s.origins))
        .with_state(s)
}

/// Browsers of the allowed origins (any origin when none is given, as Voiceflow's runtime) may call the routes
/// with the headers the widgets send. Keyed routes need a key whatever the origin: CORS adds nothing to them.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed = if origins.is_empty() {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::list([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("versionid"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
        ]))
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(3600))
}

// ---- extractors whose refusals are JSON errors like every other ----

/// Path parameters.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Params(t))
            .map_err(|e: PathRejection| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// A request body as UTF-8 text, at most [`MAX_REQUEST_BYTES`].
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(format!("the body is over the limit of {MAX_REQUEST_BYTES} bytes"))
            } else {
                ApiError::bad_request("unreadable_body", format!("the body could not be read: {}", e.body_text()))
            }
        })?;
        String::from_utf8(bytes.into())
            .map(Text)
            .map_err(|_| ApiError::bad_request("invalid_json", "the body is not UTF-8 text"))
    }
}

/// A JSON body, parsed by the engine's JSON layer.
fn parse_json(body: &str, shape: &str) -> Result<Value, ApiError> {
    json::parse(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid JSON ({shape}): {e}")))
}

/// `Idempotency-Key`: printable ASCII, 1 to 255 bytes.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let bad = || {
        ApiError::bad_request(
            "invalid_idempotency_key",
            format!("Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"),
        )
    };
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(bad());
    }
    Ok(Some(key.to_string()))
}

/// The keyed routes act on the only project served, or on the one the `projectID` header names.
fn keyed_project(s: &Shared, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(v) = headers.get("projectid") {
        let name = v.to_str().map_err(|_| ApiError::bad_request("invalid_project", "projectID is not text"))?;
        s.engine(name)?;
        return Ok(name.to_string());
    }
    match s.projects.keys().collect::<Vec<_>>()[..] {
        [only] => Ok(only.clone()),
        _ => Err(ApiError::bad_request(
            "project_required",
            format!(
                "this server has several projects ({}): name one with the projectID header",
                s.projects.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

// ---- the Dialog API ----

async fn interact(s: &Shared, project: &str, user: &str, headers: &HeaderMap, body: &str) -> Result<String, ApiError> {
    s.engine(project)?;
    check_user(user)?;
    let idem = idempotency_key(headers)?;
    let envelope = Envelope::from_json(body)?;
    s.run(project, user, idem, Op::Interact(envelope)).await?.into_body()
}

/// `POST /public/{projectID}/state/user/{userID}/interact`: `{"trace": [...]}`, as Voiceflow's widget expects.
async fn public_interact(
    State(s): State<Shared>,
    Params((project, user)): Params<(String, String)>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let traces = interact(&s, &project, &user, &headers, &body).await?;
    Ok(json_response(StatusCode::OK, format!("{{\"trace\":{traces}}}")))
}

/// `POST /state/user/{userID}/interact`: the bare trace array.
async fn keyed_interact(
    State(s): State<Shared>,
    Params(user): Params<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let project = keyed_project(&s, &headers)?;
    Ok(json_response(StatusCode::OK, interact(&s, &project, &user, &headers, &body).await?))
}

async fn get_state(
    State(s): State<Shared>,
    Params(user): Params<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = keyed_project(&s, &headers)?;
    Ok(json_response(StatusCode::OK, s.run(&project, &user, None, Op::Read).await?.into_body()?))
}

/// `PUT /state/user/{userID}`: replace the session with a saved one (the engine's session JSON, as `GET` gives).
async fn put_state(
    State(s): State<Shared>,
    Params(user): Params<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let project = keyed_project(&s, &headers)?;
    let session = s.engine(&project)?.restore(&body).map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    if session.user_id != user {
        return Err(ApiError::bad_request(
            "invalid_state",
            format!("the state is user '{}''s; the path names '{user}'", session.user_id),
        ));
    }
    let mut last = 0;
    for entry in &session.transcript.entries {
        if entry.order <= last {
            return Err(ApiError::bad_request(
                "invalid_state",
                "transcript entries must be in increasing `order`, each order once",
            ));
        }
        last = entry.order;
    }
    Ok(json_response(StatusCode::OK, s.run(&project, &user, None, Op::Put(Box::new(session))).await?.into_body()?))
}

/// `DELETE /state/user/{userID}`: the session, its transcript and its stream log go; its sequence numbers are
/// never reused.
async fn delete_state(
    State(s): State<Shared>,
    Params(user): Params<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = keyed_project(&s, &headers)?;
    s.run(&project, &user, None, Op::Delete).await?;
    Ok(json_response(StatusCode::OK, "{}".into()))
}

/// `PATCH /state/user/{userID}/variables`: merge a JSON object into the session's variables.
async fn patch_variables(
    State(s): State<Shared>,
    Params(user): Params<String>,
    headers: HeaderMap,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let project = keyed_project(&s, &headers)?;
    let Value::Object(variables) = parse_json(&body, "an object of variables")? else {
        return Err(ApiError::bad_request("invalid_request", "the body must be a JSON object of variables"));
    };
    if let Some(bad) = variables.keys().find(|k| !crate::engine::template::is_identifier(k)) {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!("'{bad}' is not a variable name (letters, digits and _, not starting with a digit)"),
        ));
    }
    Ok(json_response(StatusCode::OK, s.run(&project, &user, None, Op::Patch(variables)).await?.into_body()?))
}

/// `GET /public/{projectID}/publishing`: the widget's settings; the agent's name and description.
async fn publishing(State(s): State<Shared>, Params(project): Params<String>) -> Result<Response, ApiError> {
    let agent = &s.engine(&project)?.program().agent;
    let body = serde_json::json!({ "title": agent.name, "description": agent.description });
    Ok(json_response(StatusCode::OK, body.to_string()))
}

// ---- the Inbound Events API ----

/// `POST /events` with `{app_user_id, event_type, data}`: dispatch the event into the user's session as a turn;
/// its traces go to the transcript and the live stream. 202 with the event's id and sequence number.
async fn events(State(s): State<Shared>, headers: HeaderMap, Text(body): Text) -> Result<Response, ApiError> {
    const SHAPE: &str = "{\"app_user_id\": \"...\", \"event_type\": \"...\", \"data\": {...}}";
    let project = keyed_project(&s, &headers)?;
    let Value::Object(mut fields) = parse_json(&body, SHAPE)? else {
        return Err(ApiError::bad_request("invalid_request", format!("the body must be a JSON object {SHAPE}")));
    };
    let user = match json::take(&mut fields, "app_user_id") {
        Some(Value::String(u)) => u,
        Some(Value::Number(n)) => json::to_string(&Value::Number(n)),
        _ => return Err(ApiError::bad_request("invalid_request", "app_user_id must be the user's ID (a string)")),
    };
    let Some(Value::String(name)) = json::take(&mut fields, "event_type") else {
        return Err(ApiError::bad_request("invalid_request", "event_type must be an event name (a string)"));
    };
    check_user(&user)?;
    let data = json::take(&mut fields, "data").unwrap_or(Value::Null);
    let event = json::obj2("name", Value::String(name), "data", data);
    let action = json::obj2("type", json::text("event"), "payload", json::obj1("event", event));
    // The engine's own request reader checks the name: the naming rule, and no system event.
    let envelope = Envelope::from_value(json::obj1("action", action))?;
    let idem = idempotency_key(&headers)?;
    Ok(json_response(StatusCode::ACCEPTED, s.run(&project, &user, idem, Op::Event(envelope)).await?.into_body()?))
}

// ---- Voiceflow's legacy widget's extras ----

/// `POST /public/{projectID}/transcripts` `{sessionID, os, browser, device, user}`: the legacy widget announces
/// the client after the first turn. Kept in the transcript as a `custom` entry for agents.
async fn transcripts(
    State(s): State<Shared>,
    Params(project): Params<String>,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let Value::Object(fields) = parse_json(&body, "{\"sessionID\": \"...\"}")? else {
        return Err(ApiError::bad_request("invalid_request", "the body must be a JSON object with sessionID"));
    };
    let Some(user) = fields.get("sessionID").and_then(Value::as_str).map(str::to_string) else {
        return Err(ApiError::bad_request("invalid_request", "sessionID (the userID) is required"));
    };
    let mut content = Map::new();
    content.insert("type".into(), json::text("client"));
    for name in ["os", "browser", "device", "user"] {
        if let Some(v) = fields.get(name) {
            content.insert(name.into(), v.clone());
        }
    }
    let note = Op::Note(Body::Custom { content: Value::Object(content) });
    s.run(&project, &user, None, note).await?;
    let body = serde_json::json!({ "projectID": project, "sessionID": user });
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// `POST /feedback/{projectID}/user/{userID}` `{name: "Thumbs up" | "Thumbs down", text: [...], lastUserTurn}`:
/// a rating, kept as a transcript `annotation` with `annotation_type: "rating"` and `properties.rating` `up` or
/// `down`, as the widget keeps one in local mode; `properties.message_id` names the agent message rated (the
/// latest one whose text is the first of `text`), `messages` and `last_user_turn` keep what was sent.
async fn feedback(
    State(s): State<Shared>,
    Params((project, user)): Params<(String, String)>,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let Value::Object(mut fields) = parse_json(&body, "{\"name\": \"Thumbs up\"}")? else {
        return Err(ApiError::bad_request("invalid_request", "the body must be a JSON object with name"));
    };
    let (name, rating) = match fields.get("name").and_then(Value::as_str) {
        Some(n @ "Thumbs up") => (n.to_string(), "up"),
        Some(n @ "Thumbs down") => (n.to_string(), "down"),
        _ => return Err(ApiError::bad_request("invalid_request", "name must be \"Thumbs up\" or \"Thumbs down\"")),
    };
    s.engine(&project)?;
    check_user(&user)?;
    let mut properties = Map::new();
    properties.insert("rating".into(), json::text(rating));
    if let Some(text) = json::take(&mut fields, "text") {
        let rated = text.get(0).and_then(Value::as_str).unwrap_or_default();
        if let Some(id) = rated_message(&s, &project, &user, rated).await? {
            properties.insert("message_id".into(), Value::String(id));
        }
        properties.insert("messages".into(), text);
    }
    if let Some(turn) = json::take(&mut fields, "lastUserTurn") {
        properties.insert("last_user_turn".into(), turn);
    }
    s.run(&project, &user, None, Op::Rate(name, properties)).await?;
    Ok(json_response(StatusCode::OK, "{}".into()))
}

/// The id of the latest agent message whose text is `text`. Entries are never changed once written, so the
/// committed transcript can be read outside the session's turn.
async fn rated_message(s: &Shared, project: &str, user: &str, text: &str) -> Result<Option<String>, ApiError> {
    if text.is_empty() {
        return Ok(None);
    }
    let entries = s.transcript(&session_key(project, user)).await?;
    Ok(entries.iter().rev().find_map(|e| {
        let v = json::parse(e).ok()?;
        let agent = v.get("type")?.as_str()? == "message" && v.get("author_id")?.as_str()? != user;
        (agent && v.get("text")?.as_str()? == text).then(|| v.get("id")?.as_str().map(str::to_string))?
    }))
}

// ---- the rest ----

async fn health() -> Response {
    json_response(StatusCode::OK, "{\"status\":\"ok\"}".into())
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found("not_found", format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
