//! Text made safe to put into HTML (and SVG): the board's card markup, the
//! analytics charts, the e-mails and Telegram messages.

/// `text` at the end of `out`, with the five characters that could end or
/// open markup (`&`, `<`, `>`, and both quotes, for attributes) escaped.
pub fn push_escaped(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// `text` escaped as [`push_escaped`] does, as a string of its own.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_five_markup_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(
            super::escape("Анна <b> & \"Ко\" 'ok' · 10\u{a0}₽"),
            "Анна &lt;b&gt; &amp; &quot;Ко&quot; &#39;ok&#39; · 10\u{a0}₽"
        );
        assert_eq!(super::escape(""), "");
        assert_eq!(super::escape("plain"), "plain");
    }
}
