//! The engine's SSO endpoints as the SDK uses them: a password grant that returns a bearer token
//! (JSON; errors are signalled by an `error` key, the status is not read) and a logout that revokes
//! it. Tokens are random, stored hashed, and expire; an expired token gets a 401 and the SDK logs in
//! again by itself. Users are Vireo's: `admin@internal` is `admin`.

use crate::repository::clip;
use crate::web::auth::{
    check_credentials, client_address, read_small_form, retry_after_secs, LoginOutcome, BUSY_MESSAGE, BUSY_RETRY,
    LOGIN_BODY_LIMIT, MAX_USERNAME_CHARS, TOO_MANY_MESSAGE,
};
use crate::web::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use vireo_app::error::AppError;
use vireo_app::models::CurrentUser;

/// How long a token lives.
pub const TOKEN_TTL: Duration = Duration::hours(8);
const SCOPE: &str = "ovirt-app-api";

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
pub struct LogoutRequest {
    token: Option<String>,
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

/// The engine's error shape: `error_code` plus a sentence in `error`.
fn sso_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json(
        status,
        serde_json::json!({ "error_code": code, "error": message.into() }),
    )
}

/// 429/503 with `Retry-After`, in the engine's error shape.
fn retry_later(status: StatusCode, wait: std::time::Duration, message: &str) -> Response {
    let secs = retry_after_secs(wait);
    let mut response = sso_error(status, "access_denied", message.replace("{N}", &secs.to_string()));
    if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// `admin@internal` → `admin` (Vireo has one user directory, the engine's "internal" profile).
fn vireo_username(sso_name: &str) -> &str {
    sso_name.strip_suffix("@internal").unwrap_or(sso_name).trim()
}

pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    let client = client_address(&request, &state.trusted_proxies);
    // A token request is a few short fields; a larger body is refused before it is held in memory.
    let Some(form) = read_small_form::<TokenRequest>(request, LOGIN_BODY_LIMIT).await else {
        return sso_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send grant_type, username and password as a form (at most 16 KiB).",
        );
    };
    if form.grant_type.as_deref() != Some("password") {
        return sso_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only the password grant is supported.",
        );
    }
    let (Some(username), Some(password)) = (form.username, form.password) else {
        return sso_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Both username and password are required.",
        );
    };
    let name = vireo_username(&username).to_string();
    let user = match check_credentials(&state, &name, password, client.as_deref(), " (REST API)").await {
        Ok(LoginOutcome::LoggedIn(user, _)) => user,
        Ok(LoginOutcome::Invalid) => {
            return sso_error(
                StatusCode::UNAUTHORIZED,
                "access_denied",
                format!(
                    "Cannot authenticate user '{}': The username or password is incorrect.",
                    clip(&username, MAX_USERNAME_CHARS + "@internal".len())
                ),
            )
        }
        Ok(LoginOutcome::TooMany(wait)) => {
            return retry_later(StatusCode::TOO_MANY_REQUESTS, wait, TOO_MANY_MESSAGE);
        }
        Ok(LoginOutcome::Busy) => return retry_later(StatusCode::SERVICE_UNAVAILABLE, BUSY_RETRY, BUSY_MESSAGE),
        Err(_) => {
            return sso_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "Vireo cannot check credentials right now.",
            )
        }
    };
    let token = new_token();
    let expires = OffsetDateTime::now_utc() + TOKEN_TTL;
    if state
        .repo
        .insert_api_token(&hash(&token), user.id, expires)
        .await
        .is_err()
    {
        return sso_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_error",
            "Vireo could not store the token.",
        );
    }
    json(
        StatusCode::OK,
        serde_json::json!({
            "access_token": token,
            "token_type": "bearer",
            "scope": SCOPE,
            "exp": (expires.unix_timestamp() * 1000).to_string(),
        }),
    )
}

pub async fn logout(State(state): State<AppState>, Form(form): Form<LogoutRequest>) -> Response {
    if let Some(token) = form.token.filter(|t| !t.is_empty()) {
        if state.repo.delete_api_token(&hash(&token)).await.is_err() {
            return sso_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "server_error",
                "Vireo could not revoke the token.",
            );
        }
    }
    // The SDK parses the body as JSON even on success.
    json(StatusCode::OK, serde_json::json!({}))
}

/// The user behind a bearer token, if it is live.
pub async fn user_for_token(state: &AppState, token: &str) -> Result<Option<CurrentUser>, AppError> {
    Ok(state
        .repo
        .api_token_user(&hash(token))
        .await?
        .and_then(|u| u.to_current()))
}

/// 32 random bytes from the OS, URL-safe base64.
fn new_token() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_user_names_map_to_vireo_users() {
        assert_eq!(vireo_username("admin@internal"), "admin");
        assert_eq!(vireo_username("admin"), "admin");
        assert_eq!(vireo_username("ops@example.com"), "ops@example.com");
    }

    #[test]
    fn tokens_are_random_and_stored_only_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash(&a).len(), 32);
        assert_ne!(hash(&a), a.as_bytes());
    }
}
