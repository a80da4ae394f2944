//! Which client paths the proxy serves and where each goes upstream (SPEC §4 "Routes").

use http::Method;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Healthz,
    Metrics,
    /// Forwarded with rotation to `{base}{upstream_path}`.
    Upstream {
        upstream_path: String,
        responses: bool,
    },
    NotFound,
}

/// Maps a request line to a route. Query strings are not part of `path`.
pub fn route(method: &Method, path: &str) -> Route {
    let get = method == Method::GET;
    let post = method == Method::POST;
    match path {
        "/healthz" if get => return Route::Healthz,
        "/metrics" if get => return Route::Metrics,
        _ => {}
    }
    for prefix in ["/backend-api/codex", "/v1", ""] {
        let Some(rest) = path.strip_prefix(prefix) else {
            continue;
        };
        match rest {
            "/responses" if post => return upstream("/codex/responses", true),
            "/responses/compact" if post => return upstream("/codex/responses/compact", true),
            "/models" if get => return upstream("/codex/models", false),
            _ => {}
        }
    }
    match path.strip_prefix("/backend-api/") {
        Some(rest) if !rest.is_empty() => upstream(&format!("/{rest}"), false),
        _ => Route::NotFound,
    }
}

/// `/backend-api/codex/responses`, `/v1/responses` or `/responses`: where a WebSocket
/// handshake opens the transport of SPEC §4.4.
pub fn is_responses_path(path: &str) -> bool {
    ["/backend-api/codex", "/v1", ""]
        .iter()
        .any(|prefix| path.strip_prefix(prefix) == Some("/responses"))
}

fn upstream(path: &str, responses: bool) -> Route {
    Route::Upstream {
        upstream_path: path.to_owned(),
        responses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(p: &str) -> Route {
        Route::Upstream {
            upstream_path: p.into(),
            responses: p.contains("responses"),
        }
    }

    #[test]
    fn spec_routes() {
        for p in ["/backend-api/codex/responses", "/v1/responses", "/responses"] {
            assert_eq!(route(&Method::POST, p), up("/codex/responses"), "{p}");
            assert_eq!(
                route(&Method::POST, &format!("{p}/compact")),
                up("/codex/responses/compact")
            );
        }
        for p in ["/backend-api/codex/models", "/v1/models", "/models"] {
            assert_eq!(
                route(&Method::GET, p),
                Route::Upstream {
                    upstream_path: "/codex/models".into(),
                    responses: false
                }
            );
        }
        assert_eq!(
            route(&Method::GET, "/backend-api/wham/usage"),
            Route::Upstream {
                upstream_path: "/wham/usage".into(),
                responses: false
            }
        );
        assert_eq!(route(&Method::GET, "/healthz"), Route::Healthz);
        assert_eq!(route(&Method::GET, "/metrics"), Route::Metrics);
        assert_eq!(route(&Method::GET, "/v1/responses"), Route::NotFound);
        assert_eq!(route(&Method::GET, "/elsewhere"), Route::NotFound);
        assert_eq!(route(&Method::GET, "/backend-api/"), Route::NotFound);
    }
}
