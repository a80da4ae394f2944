//! `GET /oauth/authorize`: the browser step of the PKCE login. The fake "user" signs in at once as the
//! identity set by `FakeBackend::set_login_identity` and is redirected back with a code, so a test can drive
//! the whole flow by GETting the URL the router built.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};

use super::{capture, param};
use crate::bodies;
use crate::capture::AuthorizeRequest;
use crate::routes::json_response;
use crate::server::Shared;
use crate::state::{AuthCode, random_string};

pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    capture(&shared, &method, &uri, &headers, &bytes::Bytes::new());
    let params: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    shared.state.lock().authorize_requests.push(AuthorizeRequest {
        params: params.clone(),
    });

    let Some(redirect_uri) = param(&params, "redirect_uri") else {
        return json_response(
            StatusCode::BAD_REQUEST,
            bodies::invalid_request("Missing redirect_uri"),
        );
    };
    let state_param = param(&params, "state");
    let (challenge, client_id) = match validate(&params) {
        Ok(found) => found,
        Err(description) => {
            return redirect(
                redirect_uri,
                &[("error", "invalid_request"), ("error_description", description)],
                state_param,
            );
        }
    };
    let code = {
        let mut state = shared.state.lock();
        let Some(identity) = state.login_identity.clone() else {
            return redirect(
                redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "no login identity set on the fake"),
                ],
                state_param,
            );
        };
        let code = format!("ac_{}", random_string(32));
        state.codes.insert(
            code.clone(),
            AuthCode {
                identity,
                code_challenge: challenge.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                client_id: Some(client_id.to_owned()),
                used: false,
            },
        );
        code
    };
    redirect(redirect_uri, &[("code", code.as_str())], state_param)
}

/// The checks the real issuer makes before showing its login page; on success, the code challenge and the
/// client id.
fn validate(params: &[(String, String)]) -> Result<(&str, &str), &'static str> {
    if param(params, "response_type") != Some("code") {
        return Err("response_type must be code");
    }
    let client_id = param(params, "client_id").ok_or("client_id is required")?;
    let challenge = param(params, "code_challenge").ok_or("code_challenge is required")?;
    if param(params, "code_challenge_method") != Some("S256") {
        return Err("code_challenge_method must be S256");
    }
    Ok((challenge, client_id))
}

/// `302` to `redirect_uri` with the given parameters and the client's `state` appended.
fn redirect(redirect_uri: &str, extra: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", query.finish());
    let mut resp = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            resp.headers_mut().insert(http::header::LOCATION, v);
            resp
        }
        Err(_) => json_response(
            StatusCode::BAD_REQUEST,
            bodies::invalid_request("redirect_uri is not a valid URL"),
        ),
    }
}
