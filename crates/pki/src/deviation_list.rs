//! Deviation lists (ICAO Doc 9303-12 §10, docs/spec/lds.md §10.1; Doc 9303-3): a CMS SignedData whose eContentType is
//! `id-icao-DeviationList` 2.23.136.1.1.7, signed by a Deviation List Signer (extKeyUsage
//! 2.23.136.1.1.8) that the CSCA issued. The toolkit reads, verifies and reports them — which
//! documents deviate and how — but does not (yet) let a deviation excuse a failed check.
//!
//! ```asn1
//! DeviationList ::= SEQUENCE { version INTEGER {v0(0)},
//!   digestAlgorithm AlgorithmIdentifier OPTIONAL, deviations SET OF Deviation }
//! Deviation ::= SEQUENCE { documents DeviationDocuments, descriptions SET OF DeviationDescription }
//! DeviationDocuments ::= SEQUENCE {                               -- IMPLICIT TAGS
//!   documentType [0] PrintableString (SIZE(2)) OPTIONAL,
//!   dscIdentifier DocumentSignerIdentifier OPTIONAL,            -- [1] IAS | [2] SKI | [3] digest
//!   issuingDate [4] IssuancePeriod OPTIONAL,
//!   documentNumbers [5] SET OF PrintableString OPTIONAL }
//! DeviationDescription ::= SEQUENCE { description PrintableString OPTIONAL,
//!   deviationType OBJECT IDENTIFIER, parameters [0] ANY OPTIONAL, nationalUse [1] ANY OPTIONAL }
//! ```

use der::asn1::ObjectIdentifier;

use permitkit_iso7816::tlv::{Reader, Tag};

use crate::{
    profile::{ID_ICAO_DEVIATION_LIST, ID_ICAO_DEVIATION_LIST_SIGNING_KEY},
    signed_data::{IssuerCandidates, SignedData, SignedListError, VerifiedSigner},
};

/// A deviation list taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviationList {
    /// The SignedData around it.
    pub signed: SignedData,
    /// The deviations.
    pub deviations: Vec<Deviation>,
}

/// One deviation: which documents, and what is wrong with them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deviation {
    /// documentType, when the deviation names one.
    pub document_type: Option<String>,
    /// How the Document Signer is named (`issuer and serial`, `key identifier`, `certificate
    /// digest`), when it is.
    pub document_signer: Option<&'static str>,
    /// Whether an issuing period bounds it.
    pub issuing_period: bool,
    /// How many document numbers it lists.
    pub document_numbers: usize,
    /// The descriptions: the text, if any, and the deviationType.
    pub descriptions: Vec<(Option<String>, String)>,
}

impl DeviationList {
    /// Parses a deviation list (`ContentInfo`, DER).
    pub fn parse(der: &[u8]) -> Result<Self, SignedListError> {
        let signed = SignedData::parse(der)?;
        if signed.econtent_type != ID_ICAO_DEVIATION_LIST {
            return Err(SignedListError::Check {
                check: "econtent-type",
                reason: format!(
                    "{} is not id-icao-DeviationList ({ID_ICAO_DEVIATION_LIST})",
                    signed.econtent_type
                ),
            });
        }
        let deviations = deviations(&signed.econtent)?;
        Ok(Self { signed, deviations })
    }

    /// Verifies the list's signature by a Deviation List Signer (see [`SignedData::verify`]).
    pub fn verify(
        &self,
        trusted_signers: &[Vec<u8>],
        issuers: IssuerCandidates<'_>,
        now: i64,
    ) -> Result<VerifiedSigner, SignedListError> {
        self.signed.verify(
            ID_ICAO_DEVIATION_LIST,
            ID_ICAO_DEVIATION_LIST_SIGNING_KEY,
            trusted_signers,
            issuers,
            now,
        )
    }
}

fn deviations(econtent: &[u8]) -> Result<Vec<Deviation>, SignedListError> {
    let structure = |reason: String| SignedListError::Structure { reason };
    let mut list = Reader::new(econtent).expect(Tag::new(0x30))?.children()?;
    let version = list.expect(Tag::new(0x02))?;
    if version.value() != [0] {
        return Err(structure(format!(
            "DeviationList version {:02X?} is not v0",
            version.value()
        )));
    }
    list.optional(Tag::new(0x30))?; // digestAlgorithm
    let mut set = list.expect(Tag::new(0x31))?.children()?;
    let mut out = Vec::new();
    while !set.is_empty() {
        let mut d = set.expect(Tag::new(0x30))?.children()?;
        let mut deviation = Deviation {
            document_type: None,
            document_signer: None,
            issuing_period: false,
            document_numbers: 0,
            descriptions: Vec::new(),
        };
        let mut docs = d.expect(Tag::new(0x30))?.children()?;
        while !docs.is_empty() {
            let field = docs.read()?;
            match field.tag().raw() {
                0x80 => {
                    deviation.document_type =
                        Some(String::from_utf8_lossy(field.value()).into_owned());
                }
                0xA1 => deviation.document_signer = Some("issuer and serial number"),
                0x82 => deviation.document_signer = Some("subject key identifier"),
                0x83 => deviation.document_signer = Some("certificate digest"),
                0xA4 => deviation.issuing_period = true,
                0xA5 => {
                    let mut numbers = field.children()?;
                    while !numbers.is_empty() {
                        numbers.read()?;
                        deviation.document_numbers += 1;
                    }
                }
                other => {
                    return Err(structure(format!(
                        "DeviationDocuments: unexpected tag {other:02X} at byte {}",
                        field.offset()
                    )));
                }
            }
        }
        let mut descriptions = d.expect(Tag::new(0x31))?.children()?;
        while !descriptions.is_empty() {
            let mut desc = descriptions.expect(Tag::new(0x30))?.children()?;
            let mut text = None;
            if matches!(desc.peek_tag()?, Some(t) if t != Tag::new(0x06)) {
                text = Some(String::from_utf8_lossy(desc.read()?.value()).into_owned());
            }
            let oid = desc.expect(Tag::new(0x06))?;
            let oid = ObjectIdentifier::from_bytes(oid.value())
                .map_err(|e| structure(format!("deviationType at byte {}: {e}", oid.offset())))?;
            deviation.descriptions.push((text, oid.to_string()));
        }
        out.push(deviation);
    }
    Ok(out)
}
