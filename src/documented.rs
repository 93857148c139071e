//! Routes declared once, documented on demand. Every router registers its handlers
//! with `routes!` (utoipa-axum's, in the same words) and starts from
//! [`base`]; both build the OpenAPI side (each operation, its schemas, the vendor's
//! components) only while [`documenting`] runs, which is when the documents are
//! assembled (`AppState::docs`, on the first request for them). Serving needs only each
//! handler's path and methods, so start-up does not pay for documentation no one reads
//! (`bench/profiles/startup-dist.txt`: it was most of the time spent building routers).
//! The same declarations serve and document, so the two cannot drift. A build with the
//! `prebuilt-openapi` feature (the Docker image's) embeds the documents a full build
//! assembled and compiles none of this documentation code.

use std::cell::Cell;

use utoipa::openapi::OpenApi;

thread_local! {
    static DOCUMENTING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `build` (which builds routers) with their documentation built too.
pub fn documenting<T>(build: impl FnOnce() -> T) -> T {
    /// Puts the previous value back even if `build` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            DOCUMENTING.with(|documenting| documenting.set(self.0));
        }
    }
    let _restore = Restore(DOCUMENTING.with(|documenting| documenting.replace(true)));
    build()
}

/// Whether routers built now are being documented (inside [`documenting`]).
pub fn is_documenting() -> bool {
    DOCUMENTING.with(Cell::get)
}

/// A router's base document: `doc()` (the vendor's components, schemes, tags) while
/// documenting, else an empty one.
pub fn base(doc: impl FnOnce() -> OpenApi) -> OpenApi {
    if cfg!(not(feature = "prebuilt-openapi")) && is_documenting() { doc() } else { OpenApi::default() }
}

/// utoipa-axum's `routes!`: handlers with their `#[utoipa::path]`, registered at their
/// documented path for their documented methods. Outside [`documenting`] the operation
/// and schemas of each are not built: the path item is left empty.
#[cfg(not(feature = "prebuilt-openapi"))]
macro_rules! routes {
    // Handlers as plain `a::b::c` tokens (not `$:path`, which utoipa-axum could not take apart).
    ($($head:ident $(:: $tail:ident)*),+ $(,)?) => {
        if $crate::documented::is_documenting() {
            ::utoipa_axum::routes!($($head $(:: $tail)*),+)
        } else {
            $crate::documented::serving_only!($($head $(:: $tail)*),+)
        }
    };
}

/// With `prebuilt-openapi` the documents are embedded, so routes are never documented
/// and no documentation code is compiled.
#[cfg(feature = "prebuilt-openapi")]
macro_rules! routes {
    ($($head:ident $(:: $tail:ident)*),+ $(,)?) => {
        $crate::documented::serving_only!($($head $(:: $tail)*),+)
    };
}

/// The handlers registered at their documented paths and methods, each path item left
/// empty: what serving needs.
macro_rules! serving_only {
    ($($head:ident $(:: $tail:ident)*),+) => {{
        #[allow(unused_imports)]
        use ::utoipa_axum::PathItemExt as _;
        let mut paths = ::utoipa::openapi::path::Paths::new();
        let mut method_router = ::axum::routing::MethodRouter::new();
        $(
            let path: String = ::utoipa_axum::routes!(@path [path()] of $head $(:: $tail)*);
            for method in ::utoipa_axum::routes!(@path [methods()] of $head $(:: $tail)*) {
                method_router = method_router.on(method.to_method_filter(), $head $(:: $tail)*);
            }
            paths.paths.insert(path, ::utoipa::openapi::path::PathItem::default());
        )+
        (::std::vec::Vec::new(), paths, method_router)
    }};
}

pub(crate) use {routes, serving_only};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documenting_is_on_only_inside_and_restored_after_a_panic() {
        assert!(!is_documenting());
        assert!(documenting(is_documenting));
        assert!(documenting(|| documenting(is_documenting)));
        assert!(!is_documenting());
        let panicked = std::panic::catch_unwind(|| documenting(|| panic!("while documenting")));
        assert!(panicked.is_err());
        assert!(!is_documenting(), "restored after the panic");
    }

    #[test]
    #[cfg(not(feature = "prebuilt-openapi"))]
    fn the_base_document_is_built_only_while_documenting() {
        let doc = || utoipa::openapi::OpenApiBuilder::new().info(utoipa::openapi::Info::new("x", "1")).build();
        assert_eq!(base(doc).info.title, OpenApi::default().info.title);
        assert_eq!(documenting(|| base(doc)).info.title, "x");
    }
}
