//! A readable summary of a card's files, for `lds show` and `card read --json`: the MRZ lines,
//! names and dates, the face and finger record headers, the security infos, and the SOD's
//! hashes. Each file is parsed on its own; a file that does not parse is reported, not fatal.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    Dg1, Dg2, Dg3, Dg7, Dg11, Dg12, Dg14, Dg15, Ef, SecurityInfo, card_access::CardAccess,
    dg2::FaceBdb, sod::ParsedSod,
};
use permitkit_biometrics::face_record::FaceImageType;

/// The summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Description {
    /// Every file: name, size, SHA-256.
    pub files: Vec<FileSummary>,
    /// MRZ lines from DG1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrz: Option<Vec<String>>,
    /// DG11 fields present.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub personal_details: BTreeMap<&'static str, String>,
    /// DG12 fields present.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub document_details: BTreeMap<&'static str, String>,
    /// DG2 face images.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faces: Vec<FaceSummary>,
    /// DG3 finger images.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fingers: Vec<FingerSummary>,
    /// DG7 image sizes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signature_images: Vec<usize>,
    /// Security infos of EF.CardAccess and DG14.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_infos: Vec<String>,
    /// DG15 key algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_authentication_key: Option<String>,
    /// EF.SOD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sod: Option<SodSummary>,
    /// Files that did not parse, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// One file.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    /// ICAO name.
    pub name: String,
    /// Size in bytes.
    pub size: usize,
    /// SHA-256, hex.
    pub sha256: String,
}

/// One face image header.
#[derive(Debug, Clone, Serialize)]
pub struct FaceSummary {
    /// `basic`, `full-frontal`, `token-frontal`.
    pub image_type: String,
    /// Width × height.
    pub size: [u16; 2],
    /// Image bytes.
    pub image_bytes: usize,
    /// Feature point 12.1 (subject's left eye).
    pub left_eye: Option<[u16; 2]>,
    /// Feature point 12.2 (subject's right eye).
    pub right_eye: Option<[u16; 2]>,
}

/// One finger image header.
#[derive(Debug, Clone, Serialize)]
pub struct FingerSummary {
    /// Finger position name.
    pub position: String,
    /// Quality 0–100.
    pub quality: u8,
    /// Width × height.
    pub size: [u16; 2],
    /// Compression name.
    pub compression: String,
    /// Image bytes.
    pub image_bytes: usize,
}

/// EF.SOD.
#[derive(Debug, Clone, Serialize)]
pub struct SodSummary {
    /// Hash algorithm.
    pub hash_algorithm: String,
    /// signingTime, as encoded.
    pub signing_time: Option<String>,
    /// Document Signer certificate subject.
    pub signer: Option<String>,
    /// Data group hashes, in data-group order.
    pub hashes: Vec<DgHash>,
}

/// One data group hash of the SOD.
#[derive(Debug, Clone, Serialize)]
pub struct DgHash {
    /// `DG1` …
    pub data_group: String,
    /// The hash, hex.
    pub sha: String,
}

/// Summarises `files`.
pub fn describe(files: &BTreeMap<Ef, Vec<u8>>) -> Description {
    let mut d = Description::default();
    for (ef, bytes) in files {
        d.files.push(FileSummary {
            name: ef.name(),
            size: bytes.len(),
            sha256: hex::encode(Sha256::digest(bytes)),
        });
        if let Err(e) = describe_file(*ef, bytes, &mut d) {
            d.problems.push(e);
        }
    }
    d
}

fn describe_file(ef: Ef, bytes: &[u8], d: &mut Description) -> Result<(), String> {
    let e = |e: crate::LdsError| e.to_string();
    match ef {
        Ef::DG1 => {
            let dg = Dg1::parse(bytes).map_err(e)?;
            d.mrz = Some(dg.lines().into_iter().map(str::to_owned).collect());
        }
        Ef::DG2 => {
            for face in Dg2::parse(bytes).map_err(e)?.faces {
                match face.record {
                    FaceBdb::Iso19794_5(rec) => {
                        for img in rec.images {
                            let eyes = img.eye_centres();
                            d.faces.push(FaceSummary {
                                image_type: match img.image_type {
                                    FaceImageType::Basic => "basic".into(),
                                    FaceImageType::FullFrontal => "full-frontal".into(),
                                    FaceImageType::TokenFrontal => "token-frontal".into(),
                                    FaceImageType::Other(v) => format!("type {v}"),
                                },
                                size: [img.width, img.height],
                                image_bytes: img.image.len(),
                                left_eye: eyes.map(|(l, _)| [l.x, l.y]),
                                right_eye: eyes.map(|(_, r)| [r.x, r.y]),
                            });
                        }
                    }
                    FaceBdb::Other { format_type, bytes } => d.faces.push(FaceSummary {
                        image_type: format!("format {format_type:04X} (not decoded)"),
                        size: [0, 0],
                        image_bytes: bytes.len(),
                        left_eye: None,
                        right_eye: None,
                    }),
                }
            }
        }
        Ef::DG3 => {
            for f in Dg3::parse(bytes).map_err(e)?.fingers {
                for img in &f.record.images {
                    d.fingers.push(FingerSummary {
                        position: img
                            .position()
                            .map_or(format!("code {}", img.position_code), |p| p.to_string()),
                        quality: img.quality,
                        size: [img.width, img.height],
                        compression: format!("{:?}", f.record.compression),
                        image_bytes: img.data.len(),
                    });
                }
            }
        }
        Ef::DG7 => {
            d.signature_images = Dg7::parse(bytes)
                .map_err(e)?
                .images
                .iter()
                .map(Vec::len)
                .collect()
        }
        Ef::DG11 => {
            let dg = Dg11::parse(bytes).map_err(e)?;
            let p = &mut d.personal_details;
            let mut put = |k, v: &Option<String>| {
                if let Some(v) = v {
                    p.insert(k, v.clone());
                }
            };
            put("full_name", &dg.full_name);
            put("personal_number", &dg.personal_number);
            put("full_date_of_birth", &dg.full_date_of_birth);
            put("place_of_birth", &dg.place_of_birth);
            put("permanent_address", &dg.permanent_address);
            put("telephone", &dg.telephone);
            put("profession", &dg.profession);
            if !dg.other_names.is_empty() {
                p.insert("other_names", dg.other_names.join(" / "));
            }
        }
        Ef::DG12 => {
            let dg = Dg12::parse(bytes).map_err(e)?;
            let p = &mut d.document_details;
            let mut put = |k, v: &Option<String>| {
                if let Some(v) = v {
                    p.insert(k, v.clone());
                }
            };
            put("issuing_authority", &dg.issuing_authority);
            put("date_of_issue", &dg.date_of_issue);
            put("endorsements", &dg.endorsements);
            put("personalization_time", &dg.personalization_time);
            put("personalization_device", &dg.personalization_device);
        }
        Ef::DG14 => {
            for info in Dg14::parse(bytes).map_err(e)?.infos.0 {
                d.security_infos.push(format!("DG14: {}", info_text(&info)));
            }
        }
        Ef::CardAccess => {
            for info in CardAccess::parse(bytes).map_err(e)?.infos.0 {
                d.security_infos
                    .push(format!("EF.CardAccess: {}", info_text(&info)));
            }
        }
        Ef::DG15 => {
            let dg = Dg15::parse(bytes).map_err(e)?;
            d.active_authentication_key = Some(dg.public_key.algorithm.oid.to_string());
        }
        Ef::Sod => {
            let sod = ParsedSod::parse(bytes).map_err(e)?;
            let signer = sod.certificates.first().and_then(|c| {
                x509_parser::parse_x509_certificate(c)
                    .ok()
                    .map(|(_, cert)| cert.subject().to_string())
            });
            d.sod = Some(SodSummary {
                hash_algorithm: sod.lso.hash_algorithm.name().into(),
                signing_time: sod
                    .signers
                    .first()
                    .and_then(|s| s.signing_time.as_ref().map(|t| t.text.clone())),
                signer,
                hashes: sod
                    .lso
                    .hashes
                    .iter()
                    .map(|h| DgHash {
                        data_group: format!("DG{}", h.number.get()),
                        sha: hex::encode(&h.hash),
                    })
                    .collect(),
            });
        }
        _ => {}
    }
    Ok(())
}

fn info_text(info: &SecurityInfo) -> String {
    match info {
        SecurityInfo::Pace(p) => format!(
            "PACE {} v{}{}",
            p.protocol,
            p.version,
            p.parameter_id
                .map_or(String::new(), |id| format!(", parameter {id}"))
        ),
        SecurityInfo::ChipAuthentication(c) => {
            format!("Chip Authentication {} v{}", c.protocol, c.version)
        }
        SecurityInfo::ChipAuthenticationPublicKey(k) => {
            format!("Chip Authentication key {}", k.protocol)
        }
        SecurityInfo::TerminalAuthentication(t) => {
            format!("Terminal Authentication v{}", t.version)
        }
        SecurityInfo::ActiveAuthentication(a) => {
            format!(
                "Active Authentication v{} with {}",
                a.version, a.signature_algorithm
            )
        }
        SecurityInfo::Other { protocol, .. } => format!("other {protocol}"),
    }
}
