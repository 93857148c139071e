//! `GET /_emulator/ui`: the monitor page, rendered on the server with maud (checked
//! at compile time). The skeleton (filters, panels per vendor, the token form) is
//! HTML from here; `monitor.js` fills it from the control plane's JSON and the live
//! journal stream. The script and style sheet are compiled into the binary and
//! inlined, so the page needs nothing but this emulator.

use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::{Vendor, app::AppState};

const SCRIPT: &str = include_str!("monitor.js");
const STYLE: &str = include_str!("monitor.css");

/// Only this page's own inline script and style, and calls back to this emulator.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The requests monitor page (HTML). Served without the admin token: the page holds
/// no data, and asks for the token once before it reads any.
#[utoipa::path(get, path = "/_emulator/ui", tag = "control plane",
    responses((status = 200, description = "The requests monitor page", content_type = "text/html", body = String)))]
pub async fn get_page(State(state): State<AppState>) -> Response {
    let vendors: Vec<Vendor> = state.vendors.iter().map(|v| v.vendor()).collect();
    let markup = render(&vendors, state.config.admin_token.is_some());
    let mut response = Html(markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The whole page.
pub fn render(vendors: &[Vendor], token_required: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "vendor-emulator · requests monitor" }
                style { (PreEscaped(STYLE)) }
            }
            body data-token-required=(token_required) {
                header {
                    h1 { "vendor-emulator" span.sub { " requests monitor" } }
                    span #connection .badge { "connecting…" }
                    span.version { "v" (env!("CARGO_PKG_VERSION")) }
                    button #reset-all type="button" data-confirm="Reset every vendor to its fixtures?" { "Reset all vendors" }
                }
                (token_form())
                main #monitor hidden {
                    section #requests {
                        h2 { "Requests" }
                        (filters(vendors))
                        p #missed .warning hidden {}
                        div.split {
                            div.list {
                                table #entries {
                                    thead { tr { th { "Time" } th { "Vendor" } th { "Method" } th { "Path" } th { "Status" } th { "Duration" } th { "Reason" } } }
                                    tbody {}
                                }
                                p #no-entries .muted { "No requests yet. Send one to a vendor and it appears here." }
                            }
                            aside #detail hidden {}
                        }
                    }
                    (clock_panel())
                    @for vendor in vendors { (vendor_panel(*vendor)) }
                    p #action-error .warning hidden {}
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn token_form() -> Markup {
    html! {
        form #token-form hidden {
            h2 { "Admin token" }
            p { "This emulator runs with " code { "--admin-token" } ". Enter it once; the page keeps it for this browser tab only." }
            input #token type="password" autocomplete="off" placeholder="admin token" required;
            button type="submit" { "Open the monitor" }
            p #token-error .warning hidden { "That token was refused." }
        }
    }
}

fn filters(vendors: &[Vendor]) -> Markup {
    html! {
        div.filters {
            label { "Vendor " select #filter-vendor {
                option value="" { "all" }
                @for vendor in vendors { option value=(vendor.as_str()) { (vendor.title()) } }
            } }
            label { "Status " select #filter-status {
                option value="" { "all" }
                option value="2" { "2xx" } option value="3" { "3xx" } option value="4" { "4xx" } option value="5" { "5xx" }
            } }
            label { input #filter-refusals type="checkbox"; " refusals only" }
            button #pause type="button" { "Pause" }
            button #clear type="button" data-confirm="Empty the journal?" { "Clear" }
            span #paused-count .muted {}
        }
    }
}

fn clock_panel() -> Markup {
    html! {
        section #clock {
            h2 { "Clock" }
            p { span #clock-now .mono { "…" } " " span #clock-state .badge {} }
            div.controls {
                button #clock-freeze type="button" { "Freeze" }
                button #clock-resume type="button" { "Resume" }
                span.group {
                    input #advance-amount type="number" min="0" step="any" value="60" aria-label="amount";
                    select #advance-unit aria-label="unit" {
                        option value="1" { "seconds" } option value="60" selected { "minutes" }
                        option value="3600" { "hours" } option value="86400" { "days" }
                    }
                    button #clock-advance type="button" { "Advance" }
                }
                span.group {
                    input #set-at type="text" placeholder="2026-04-01T10:30:00Z" aria-label="instant";
                    button #clock-set type="button" { "Set" }
                }
            }
        }
    }
}

fn vendor_panel(vendor: Vendor) -> Markup {
    html! {
        section.vendor data-vendor=(vendor.as_str()) {
            h2 { (vendor.title()) " " span.muted.mono { (vendor.prefix()) } }
            div.controls {
                button.reset type="button" data-vendor=(vendor.as_str()) data-confirm={ "Reset " (vendor.title()) " to its fixtures?" } { "Reset " (vendor.title()) }
            }
            details.credentials open { summary { "Credentials" } div.body {} }
            details.examples open { summary { "Try it: ready-made requests" } div.body {} }
            div.tables {}
            div.result hidden {}
        }
    }
}
