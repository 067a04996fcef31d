use crate::error::AppError;
use crate::models::CurrentUser;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// Who is logged in; the top bar shows it. Login and logout are plain form posts handled by the
/// server (`POST /login`, `POST /logout`) so they work the same with JavaScript off.
#[server(prefix = "/api", endpoint = "whoami", input = GetUrl, output = crate::api::json_text::JsonText)]
pub async fn whoami() -> Result<CurrentUser, AppError> {
    super::ssr::authorize_read()
}
