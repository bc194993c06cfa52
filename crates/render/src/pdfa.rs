//! PDF/A-3b metadata: the instant a copy is made and the XMP packet that repeats the
//! document information dictionary (ISO 19005-3 §6.6).

use std::fmt;
use std::str::FromStr;

/// A UTC instant to the second: when a copy was converted, written as the PDF's creation
/// and modification date (Info and XMP) and as the attachments' modification date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

/// Text that is not a `YYYY-MM-DDTHH:MM:SSZ` instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ: {0:?}")]
pub struct InvalidMoment(pub String);

impl Moment {
    /// The instant `secs` seconds after 1970-01-01T00:00:00Z; years outside 0000–9999 are
    /// clamped to those bounds.
    pub fn from_unix(secs: i64) -> Moment {
        Moment::of(domain::date::utc_from_unix(secs))
    }

    /// The instant of year, month, day, hour, minute and second, already checked.
    fn of((year, month, day, hour, minute, second): (u16, u8, u8, u8, u8, u8)) -> Moment {
        Moment {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z (the inverse of [`Moment::from_unix`]).
    pub fn to_unix(self) -> i64 {
        let days = domain::date::days_from_civil(i64::from(self.year), self.month, self.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The hour, 0–23.
    pub fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(self) -> u8 {
        self.minute
    }

    /// The second, 0–59.
    pub fn second(self) -> u8 {
        self.second
    }

    /// The PDF date (`Info`, file parameters) of this instant, in UTC.
    pub(crate) fn pdf_date(self) -> pdf_writer::Date {
        pdf_writer::Date::new(self.year)
            .month(self.month)
            .day(self.day)
            .hour(self.hour)
            .minute(self.minute)
            .second(self.second)
            .utc_offset_hour(0)
            .utc_offset_minute(0)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, as XMP writes dates.
impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

impl FromStr for Moment {
    type Err = InvalidMoment;

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` (a calendar date, hours 00–23).
    fn from_str(s: &str) -> Result<Moment, InvalidMoment> {
        domain::date::parse_utc_instant(s)
            .map(Moment::of)
            .ok_or_else(|| InvalidMoment(s.to_owned()))
    }
}

/// What the document information dictionary says, repeated in the XMP packet.
pub(crate) struct DocMeta<'a> {
    pub title: &'a str,
    pub subject: &'a str,
    pub producer: &'a str,
    /// Creation and modification date; none: no dates, in Info as in XMP.
    pub at: Option<Moment>,
}

/// The XMP packet (UTF-8, unfiltered in the file): PDF/A-3 part and conformance B, Dublin
/// Core title and description, XMP dates and creator tool, PDF producer — each equal to
/// its entry in the Info dictionary.
pub(crate) fn xmp(m: &DocMeta<'_>) -> Vec<u8> {
    let dates = m.at.map_or_else(String::new, |at| {
        format!(
            "<xmp:CreateDate>{at}</xmp:CreateDate>\n\
<xmp:ModifyDate>{at}</xmp:ModifyDate>\n\
<xmp:MetadataDate>{at}</xmp:MetadataDate>\n"
        )
    });
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
<rdf:Description rdf:about=\"\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
<dc:format>application/pdf</dc:format>\n\
<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n\
<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n\
<dc:language><rdf:Bag><rdf:li>vi</rdf:li></rdf:Bag></dc:language>\n\
{dates}<xmp:CreatorTool>{producer}</xmp:CreatorTool>\n\
<pdf:Producer>{producer}</pdf:Producer>\n\
<pdfaid:part>3</pdfaid:part>\n\
<pdfaid:conformance>B</pdfaid:conformance>\n\
</rdf:Description>\n\
</rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>",
        title = esc(m.title),
        subject = esc(m.subject),
        producer = esc(m.producer),
    )
    .into_bytes()
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_round_trips_and_matches_unix_time() {
        let m = Moment::from_unix(1_795_635_600);
        assert_eq!(m.to_string(), "2026-11-25T19:40:00Z");
        assert_eq!("2026-11-25T19:40:00Z".parse::<Moment>(), Ok(m));
        assert_eq!(Moment::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        for secs in [0, 951_782_400, 1_795_635_600, -86_401, 4_102_444_799] {
            assert_eq!(Moment::from_unix(secs).to_unix(), secs);
        }
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25 17:40:00Z",
            "2026-11-25T17:40:00",
        ] {
            assert!(bad.parse::<Moment>().is_err(), "{bad}");
        }
    }

    #[test]
    fn xmp_escapes_text_and_names_pdfa_3b() {
        let x = xmp(&DocMeta {
            title: "Học bạ <A&B>",
            subject: "s",
            producer: "Hocba",
            at: Some(Moment::from_unix(0)),
        });
        let x = String::from_utf8(x).unwrap();
        assert!(x.contains("Học bạ &lt;A&amp;B&gt;"), "{x}");
        assert!(x.contains("<pdfaid:part>3</pdfaid:part>"));
        assert!(x.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
        assert!(x.contains("<xmp:CreateDate>1970-01-01T00:00:00Z</xmp:CreateDate>"));
    }
}
