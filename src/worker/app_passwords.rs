//! The user API (`/v1/users/{user}/…` for service callers, `/v1/me/…` for the page) and the tenant
//! settings: each handler decodes its input and sends one command to a Durable Object.

use super::audit;
use super::commands::{Command, Created, Deleted, Events, MfaState, Revoked};
use super::config::TENANT_BINDING;
use super::http::{self, ApiError};
use super::routes::Call;
use super::{ask, forward, login_cache, now, settings};
use crate::domain::audit::{Event, Kind};
use crate::domain::rules::{Settings, parse_scopes};
use worker::{Method, Response};

/// `POST …/app-passwords` `{"name","scopes"?,"expires_in_days"?}` → 201 with the password, shown
/// this once.
pub async fn create(mut call: Call<'_>) -> Result<Response, ApiError> {
    use crate::domain::body::Shape::{OptCount, OptTexts, Text};
    let mut body = http::read_fields(
        &mut call.req,
        &[
            ("name", Text),
            ("scopes", OptTexts),
            ("expires_in_days", OptCount),
        ],
    )
    .await?;
    let name = body.text("name")?;
    let scopes = parse_scopes(&body.opt_texts("scopes").unwrap_or_default())?;
    let expires_in_days = body.opt_count("expires_in_days");
    let settings = settings(call.env).await?;
    let command = Command::Create {
        user: call.user(),
        name,
        scopes,
        expires_in_days,
        settings,
    };
    let created: Created = ask(call.env, &call.caller.actor(), &command).await?;
    Ok(http::json(201, &created)?)
}

/// `GET …/app-passwords` → the list, count, limit and whether creation is allowed.
pub async fn list(call: Call<'_>) -> Result<Response, ApiError> {
    let command = Command::List {
        user: call.user(),
        settings: settings(call.env).await?,
    };
    // The object's reply as it wrote it (`Listing`): nothing to add, so nothing to decode.
    super::relay(call.env, &call.caller.actor(), &command).await
}

/// `DELETE …/app-passwords/{id}` → 204.
pub async fn delete(call: Call<'_>) -> Result<Response, ApiError> {
    let command = Command::Delete {
        user: call.user(),
        id: call.param("id").to_owned(),
    };
    ask::<()>(call.env, &call.caller.actor(), &command).await?;
    Ok(Response::empty()?.with_status(204))
}

/// `DELETE …/app-passwords` → `{"deleted":n}`.
pub async fn delete_all(call: Call<'_>) -> Result<Response, ApiError> {
    let command = Command::DeleteAll { user: call.user() };
    let deleted: Deleted = ask(call.env, &call.caller.actor(), &command).await?;
    Ok(http::json(200, &deleted)?)
}

/// `PUT /v1/users/{user}/mfa` `{"enabled","initial_name"?}`.
pub async fn set_mfa(mut call: Call<'_>) -> Result<Response, ApiError> {
    use crate::domain::body::Shape::{Flag, OptText};
    let mut body = http::read_fields(
        &mut call.req,
        &[("enabled", Flag), ("initial_name", OptText)],
    )
    .await?;
    let command = Command::SetMfa {
        user: call.user(),
        enabled: body.flag("enabled")?,
        initial_name: body.opt_text("initial_name"),
        settings: settings(call.env).await?,
    };
    let state: MfaState = ask(call.env, &call.caller.actor(), &command).await?;
    Ok(http::json(200, &state)?)
}

/// `POST /v1/users/{user}/password-changed` → `{"revoked":n}` under the tenant's
/// `on_password_change` (0 under `keep`).
pub async fn password_changed(call: Call<'_>) -> Result<Response, ApiError> {
    let command = Command::PasswordChanged {
        user: call.user(),
        policy: settings(call.env).await?.on_password_change,
    };
    let revoked: Revoked = ask(call.env, &call.caller.actor(), &command).await?;
    Ok(http::json(200, &revoked)?)
}

/// `GET …/events` → `{"events":[…]}`, newest first.
pub async fn events(call: Call<'_>) -> Result<Response, ApiError> {
    let command = Command::Events { user: call.user() };
    let events: Events = ask(call.env, &call.caller.actor(), &command).await?;
    Ok(http::json(200, &events)?)
}

async fn tenant(call: &mut Call<'_>) -> Result<Response, ApiError> {
    // The routed method: HEAD is answered as GET.
    let method = http::method(&call.req).unwrap_or(Method::Get);
    let body = if method == Method::Get {
        None
    } else {
        let body = http::read_value(&mut call.req).await?;
        Some(crate::domain::to_json::to_json(&body).into())
    };
    let stub = call
        .env
        .durable_object(TENANT_BINDING)?
        .id_from_name("tenant")?
        .get_stub()?;
    let inner = http::request("https://tenant/", &method, None, body.as_ref())?;
    forward(stub.fetch_with_request(inner).await?).await
}

/// `GET /v1/settings`.
pub async fn get_settings(mut call: Call<'_>) -> Result<Response, ApiError> {
    tenant(&mut call).await
}

/// `PUT /v1/settings` → the settings now in force; prints `settings.changed`.
pub async fn put_settings(mut call: Call<'_>) -> Result<Response, ApiError> {
    let mut response = tenant(&mut call).await?;
    // After the change, so that no login in between caches the old settings again.
    super::lookup::forget_settings();
    // Settings may change how logins are checked (strict revocation): start the cache afresh.
    login_cache::forget_all();
    if response.status_code() == 200 {
        let settings: Settings = http::answer_json(&mut response.cloned()?).await?;
        let mut event = Event::new(Kind::SettingsChanged, now(), call.caller.actor());
        event.settings = Some(settings);
        audit::print(&event, None);
    }
    Ok(response)
}
