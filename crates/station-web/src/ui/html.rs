//! HTML output without a template engine: text escaped for element content and attribute
//! values (HTML Living Standard §13.1.2.6 and §13.1.2.3: `&`, `<`, `>`, `"`, `'`), and the
//! page frame every screen shares, its style embedded (no CDN, no build step).

use super::i18n::{Lang, Text};
use super::session::Session;

/// `text` escaped for use anywhere in an HTML body or a quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f4f5f7}\
header{background:#0b3d91;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center}\
header a{color:#fff}header .grow{flex:1}main{max-width:1280px;margin:1rem auto;padding:0 1.2rem}\
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #d0d4da;padding:.35rem .5rem;text-align:left}\
.err{color:#a4000f}.mrz{font:1.15rem/1.3 'DejaVu Sans Mono',monospace;background:#fff;padding:.6rem;border:1px solid #999;white-space:pre}\
button{font:inherit;padding:.35rem .9rem}textarea{width:100%;font-family:monospace}\
form.inline{display:inline}table.data th{width:16rem;background:#eef1f5}\
label.consent{display:block;background:#fff8e1;border:1px solid #f5a300;padding:.5rem .7rem}\
label.consent input{transform:scale(1.3);margin-right:.5rem}ol#events{background:#fff;padding:.5rem 2rem;max-height:55vh;overflow:auto}\
:focus{outline:3px solid #f5a300}";

/// A whole page: `title`, the signed-in session if any, and `body` (already HTML).
pub fn page(lang: Lang, title: &str, who: Option<&Session>, body: &str) -> String {
    let nav = match who {
        Some(s) => format!(
            "<a href=\"/\">{start}</a> <a href=\"/journal\">{journal}</a>\
             <span class=\"grow\"></span><span>{login} ({role})</span>\
             <form class=\"inline\" method=\"post\" action=\"/logout\">{csrf}<button>{logout}</button></form>",
            start = lang.t(Text::Start),
            journal = lang.t(Text::Journal),
            login = esc(&s.login),
            role = super::role_name(s.role),
            csrf = csrf_field(s),
            logout = lang.t(Text::Logout),
        ),
        None => "<span class=\"grow\"></span>".to_owned(),
    };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} — permitkit</title>\
         <style>{STYLE}</style></head><body><header><strong>permitkit</strong>{nav}\
         <a href=\"?lang=uk\">Українська</a> <a href=\"?lang=en\">English</a></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = esc(title),
    )
}

/// The hidden CSRF field every form of a session carries.
pub fn csrf_field(s: &Session) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&s.csrf)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            esc("<script>'x'&\"y\"</script>"),
            "&lt;script&gt;&#39;x&#39;&amp;&quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(esc("Ахметова"), "Ахметова");
    }
}
