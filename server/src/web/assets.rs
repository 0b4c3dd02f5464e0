//! The site's static files (wasm, js, css, favicon). In a release build (`embed` feature) they
//! are compiled into the binary; otherwise they are read from the site directory on disk.
//! Precompressed `.br`/`.gz` variants are served by `Accept-Encoding`; file names carrying a
//! content hash are cached for a year.

use super::AppState;
use app::AssetLinks;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::path::PathBuf;

#[cfg(feature = "embed")]
#[derive(rust_embed::RustEmbed)]
#[folder = "$LICENSEDESK_SITE_DIR"]
struct Embedded;

const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f4e8c"/><text x="16" y="21.5" font-family="Arial,sans-serif" font-size="14" font-weight="700" fill="#fff" text-anchor="middle">LD</text></svg>"##;

pub enum Source {
    #[cfg(feature = "embed")]
    Embedded,
    Dir(PathBuf),
}

pub struct Assets {
    source: Source,
    links: AssetLinks,
    /// The API reference page's script (Redoc's bundle), when the site has it.
    api_reference: Option<String>,
}

impl Assets {
    /// The embedded site when built with `embed`; otherwise the directory named by
    /// `LICENSEDESK_SITE_DIR` (set by the build tool), falling back to `target/site`.
    pub fn discover() -> Assets {
        #[cfg(feature = "embed")]
        {
            Assets::new(Source::Embedded)
        }
        #[cfg(not(feature = "embed"))]
        {
            let dir = std::env::var_os("LICENSEDESK_SITE_DIR")
                .map(PathBuf::from)
                .or_else(|| option_env!("LICENSEDESK_SITE_DIR").map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from("target/site"));
            Assets::new(Source::Dir(dir))
        }
    }

    pub fn new(source: Source) -> Assets {
        let names = list(&source);
        let find = |prefix: &str, suffix: &str, fallback: &str| {
            names
                .iter()
                .find(|n| n.starts_with(prefix) && n.ends_with(suffix))
                .map(|n| format!("/{n}"))
                .unwrap_or_else(|| fallback.to_string())
        };
        let links = AssetLinks {
            js: find("pkg/licensedesk", ".js", "/pkg/licensedesk.js"),
            wasm: find("pkg/licensedesk", "_bg.wasm", "/pkg/licensedesk_bg.wasm"),
            css: find("pkg/licensedesk", ".css", "/pkg/licensedesk.css"),
        };
        let api_reference = names
            .iter()
            .find(|n| n.starts_with("pkg/redoc-") && n.ends_with(".standalone.js"))
            .map(|n| format!("/{n}"));
        Assets {
            source,
            links,
            api_reference,
        }
    }

    pub fn links(&self) -> AssetLinks {
        self.links.clone()
    }

    pub fn api_reference(&self) -> Option<&str> {
        self.api_reference.as_deref()
    }

    fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            return None;
        }
        match &self.source {
            #[cfg(feature = "embed")]
            Source::Embedded => Embedded::get(path).map(|f| f.data),
            Source::Dir(dir) => std::fs::read(dir.join(path)).ok().map(Cow::Owned),
        }
    }
}

fn list(source: &Source) -> Vec<String> {
    match source {
        #[cfg(feature = "embed")]
        Source::Embedded => Embedded::iter().map(|c| c.to_string()).collect(),
        Source::Dir(dir) => std::fs::read_dir(dir.join("pkg"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| format!("pkg/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// `licensedesk-0123456789abcdef.js`: a name with a 16-hex-digit content hash.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(['-', '.', '_'])
        .any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.trim().split(';');
            let name = parts.next().unwrap_or_default().trim();
            let q_zero = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case(encoding) && !q_zero
        })
}

pub async fn serve_pkg(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state.assets, &format!("pkg/{path}"), &headers)
}

pub async fn serve_favicon(headers: HeaderMap) -> Response {
    let etag = "\"ld-favicon-1\"";
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::ETAG, etag),
        ],
        FAVICON,
    )
        .into_response()
}

fn serve(assets: &Assets, path: &str, headers: &HeaderMap) -> Response {
    let Some(original) = assets.get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut body = original;
    let mut encoding = None;
    for (name, ext) in [("br", "br"), ("gzip", "gz")] {
        if accepts(headers, name)
            && let Some(compressed) = assets.get(&format!("{path}.{ext}"))
        {
            body = compressed;
            encoding = Some(name);
            break;
        }
    }
    let etag = {
        let digest = Sha256::digest(&body);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    };
    let cache = if is_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut res_headers = HeaderMap::new();
    res_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime.as_ref())
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    res_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res_headers.insert(header::ETAG, v);
    }
    if let Some(enc) = encoding {
        res_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, res_headers).into_response();
    }
    (res_headers, body.into_owned()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed("pkg/licensedesk-0123456789abcdef.js"));
        assert!(is_hashed("pkg/licensedesk-0123456789abcdef_bg.wasm"));
        assert!(!is_hashed("pkg/licensedesk.js"));
    }

    #[test]
    fn accept_encoding() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=0"),
        );
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&h, "br"));
    }

    #[test]
    fn serves_precompressed_variant() {
        let dir = std::env::temp_dir().join(format!("ld-assets-{}", rand::random::<u32>()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/licensedesk-0123456789abcdef.css"), "body{}").unwrap();
        std::fs::write(dir.join("pkg/licensedesk-0123456789abcdef.css.br"), "BR").unwrap();
        let assets = Assets::new(Source::Dir(dir.clone()));
        assert_eq!(assets.links().css, "/pkg/licensedesk-0123456789abcdef.css");
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let res = serve(&assets, "pkg/licensedesk-0123456789abcdef.css", &h);
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/css");
        assert!(
            res.headers()[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let plain = serve(
            &assets,
            "pkg/licensedesk-0123456789abcdef.css",
            &HeaderMap::new(),
        );
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            serve(&assets, "pkg/../secret", &h).status(),
            StatusCode::NOT_FOUND
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
