//! Certificate chain validation for Terminal Authentication (BSI TR-03110-3 §2 and §2.5;
//! 9303-11 §7.1; docs/spec/security-protocols.md §6): CVCA → [CVCA link certificates] → DV →
//! terminal.
//!
//! Each certificate is checked against the one above it: its CAR names the issuer's CHR, its
//! signature verifies with the issuer's key on the curve of the CVCA's domain parameters, its
//! role may follow the issuer's (a CVCA issues CVCA link certificates and DVs, a DV issues
//! terminals), its terminal type is the issuer's, and its validity contains the given date. The
//! effective authorization narrows down the chain ([`Chat::restricted_by`]).
//!
//! Dates ([`DatePolicy`]): a terminal or the PKI checks both ends of the validity period against
//! today. A chip only knows an approximation of today, its *current date* (the most recent
//! effective date of a CVCA, domestic DV or, for v2 accurate terminals, terminal certificate it
//! accepted), which lags the real date: it refuses expired certificates but cannot refuse one
//! whose effective date lies after its current date, since that is how it learns a newer date
//! (TR-03110-3 §2.5, "Current date" and "Certificate validation").

use crate::chat::{Chat, Role};
use crate::curve::{Curve, VerifyError};
use crate::{CvCertificate, CvDate, DomainParameters, PublicKey, Reference};

/// Longest chain accepted (link certificates included).
pub const MAX_CHAIN: usize = 8;

/// Which ends of a validity period are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePolicy {
    /// `effective ≤ date ≤ expiration` (terminals, the PKI: the date is today).
    Validity,
    /// `date ≤ expiration` (a chip: the date is its current date, a lower bound of today).
    ChipCurrentDate,
}

/// Why a chain is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// No certificate to verify.
    #[error("the certificate chain is empty")]
    Empty,
    /// More certificates than [`MAX_CHAIN`].
    #[error("the certificate chain has {0} certificates (at most {MAX_CHAIN})")]
    TooLong(usize),
    /// The certificate's CAR names neither a trust point nor the certificate before it.
    #[error("{holder}: issued by {authority}, which is not {expected}")]
    UnknownAuthority {
        /// The certificate.
        holder: Reference,
        /// Its CAR.
        authority: Reference,
        /// The trust points or the previous holder.
        expected: String,
    },
    /// The issuer's signature does not verify.
    #[error("{holder}: signature by {authority}: {source}")]
    Signature {
        /// The certificate.
        holder: Reference,
        /// Its CAR.
        authority: Reference,
        /// Why.
        #[source]
        source: VerifyError,
    },
    /// Expired before the date.
    #[error("{holder}: expired on {expiration} (date {date})")]
    Expired {
        /// The certificate.
        holder: Reference,
        /// Its expiration date.
        expiration: CvDate,
        /// The date checked against.
        date: CvDate,
    },
    /// Not valid yet on the date.
    #[error("{holder}: not valid before {effective} (date {date})")]
    NotYetValid {
        /// The certificate.
        holder: Reference,
        /// Its effective date.
        effective: CvDate,
        /// The date checked against.
        date: CvDate,
    },
    /// A role that may not follow its issuer's.
    #[error("{holder}: a {role} certificate cannot be issued by a {issuer}")]
    RoleOrder {
        /// The certificate.
        holder: Reference,
        /// Its role.
        role: Role,
        /// The issuer's role.
        issuer: Role,
    },
    /// A terminal type other than the issuer's.
    #[error("{holder}: its CHAT is for another terminal type than its issuer's")]
    TerminalType {
        /// The certificate.
        holder: Reference,
    },
    /// A trust point made of a certificate that is not a CVCA's, or without domain parameters.
    #[error("{holder}: not a trust point: {reason}")]
    NotATrustPoint {
        /// The certificate.
        holder: Reference,
        /// Why.
        reason: &'static str,
    },
    /// The CVCA's domain parameters are not a curve this crate verifies on.
    #[error("{holder}: {source}")]
    Curve {
        /// The certificate.
        holder: Reference,
        /// Why.
        #[source]
        source: VerifyError,
    },
}

/// A trusted CVCA key: its CHR (the CAR DV certificates name) and key with domain parameters.
/// The chip stores it at personalization (EF.CVCA lists the CHRs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPoint {
    verified: VerifiedCertificate,
}

impl TrustPoint {
    /// A trust point from a CVCA certificate (self-signed or a link certificate), which must
    /// carry the domain parameters of a supported curve. The signature is not checked here:
    /// the certificate is trusted because of where it comes from.
    pub fn from_certificate(cert: &CvCertificate) -> Result<Self, ChainError> {
        let body = cert.body();
        let holder = body.holder.clone();
        if body.chat.role() != Role::Cvca {
            return Err(ChainError::NotATrustPoint {
                holder,
                reason: "the CHAT's role is not CVCA",
            });
        }
        let domain = body
            .public_key
            .domain()
            .ok_or(ChainError::NotATrustPoint {
                holder: holder.clone(),
                reason: "the public key has no domain parameters",
            })?
            .clone();
        let curve = Curve::identify(&domain).ok_or(ChainError::Curve {
            holder: holder.clone(),
            source: VerifyError::UnsupportedCurve,
        })?;
        Ok(Self {
            verified: VerifiedCertificate {
                holder,
                role: Role::Cvca,
                key: body.public_key.clone(),
                domain,
                curve,
                effective_chat: body.chat.clone(),
                effective: body.effective,
                expiration: body.expiration,
            },
        })
    }

    /// The CVCA's CHR.
    pub fn holder(&self) -> &Reference {
        &self.verified.holder
    }

    /// The key and what the chain starts from.
    pub fn as_verified(&self) -> &VerifiedCertificate {
        &self.verified
    }

    /// A trust point from a CVCA certificate this chain verified (a link certificate).
    pub fn from_verified(verified: VerifiedCertificate) -> Option<Self> {
        (verified.role == Role::Cvca).then_some(Self { verified })
    }
}

/// A certificate whose chain verified: what the next certificate, or the terminal's
/// Terminal Authentication signature, is checked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate {
    /// The holder (CHR).
    pub holder: Reference,
    /// Its role.
    pub role: Role,
    /// Its public key.
    pub key: PublicKey,
    /// The domain parameters it uses (its own, or its CVCA's).
    pub domain: DomainParameters,
    /// The curve.
    pub curve: Curve,
    /// The authorization left along the chain.
    pub effective_chat: Chat,
    /// Effective date.
    pub effective: CvDate,
    /// Expiration date.
    pub expiration: CvDate,
}

impl VerifiedCertificate {
    /// Verifies a signature made by this certificate's holder (the algorithm its key names).
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), VerifyError> {
        if !self.key.algorithm.is_ecdsa() {
            return Err(VerifyError::UnsupportedAlgorithm(self.key.algorithm));
        }
        let point = self.key.point().ok_or(VerifyError::NoDomainParameters)?;
        self.curve
            .verify(self.key.algorithm.hash(), point, message, signature)
    }

    /// Verifies `cert` as issued by this certificate's holder, on `date`.
    pub fn verify_next(
        &self,
        cert: &CvCertificate,
        date: CvDate,
        policy: DatePolicy,
    ) -> Result<VerifiedCertificate, ChainError> {
        let body = cert.body();
        let holder = body.holder.clone();
        if body.authority != self.holder {
            return Err(ChainError::UnknownAuthority {
                holder,
                authority: body.authority.clone(),
                expected: self.holder.to_string(),
            });
        }
        let role = body.chat.role();
        let allowed = match self.role {
            Role::Cvca => matches!(role, Role::Cvca | Role::DvDomestic | Role::DvForeign),
            Role::DvDomestic | Role::DvForeign => role == Role::Terminal,
            Role::Terminal => false,
        };
        if !allowed {
            return Err(ChainError::RoleOrder {
                holder,
                role,
                issuer: self.role,
            });
        }
        self.verify_signature(cert.body_bytes(), cert.signature())
            .map_err(|source| ChainError::Signature {
                holder: holder.clone(),
                authority: body.authority.clone(),
                source,
            })?;
        if date > body.expiration {
            return Err(ChainError::Expired {
                holder,
                expiration: body.expiration,
                date,
            });
        }
        if policy == DatePolicy::Validity && date < body.effective {
            return Err(ChainError::NotYetValid {
                holder,
                effective: body.effective,
                date,
            });
        }
        let effective_chat = body
            .chat
            .restricted_by(&self.effective_chat)
            .ok_or_else(|| ChainError::TerminalType {
                holder: holder.clone(),
            })?;
        let (domain, curve) = match body.public_key.domain() {
            Some(d) => {
                let curve = Curve::identify(d).ok_or_else(|| ChainError::Curve {
                    holder: holder.clone(),
                    source: VerifyError::UnsupportedCurve,
                })?;
                (d.clone(), curve)
            }
            None => (self.domain.clone(), self.curve),
        };
        if let Some(point) = body.public_key.point() {
            curve.compress(point).map_err(|source| ChainError::Curve {
                holder: holder.clone(),
                source,
            })?;
        }
        Ok(VerifiedCertificate {
            holder,
            role,
            key: body.public_key.clone(),
            domain,
            curve,
            effective_chat,
            effective: body.effective,
            expiration: body.expiration,
        })
    }
}

/// Verifies a whole chain from one of `trust_points`: link certificates first (each makes the
/// next trust point), then a DV, then a terminal, or any prefix of that. Returns the last
/// certificate verified.
pub fn verify_chain(
    trust_points: &[TrustPoint],
    chain: &[CvCertificate],
    date: CvDate,
    policy: DatePolicy,
) -> Result<VerifiedCertificate, ChainError> {
    let first = chain.first().ok_or(ChainError::Empty)?;
    if chain.len() > MAX_CHAIN {
        return Err(ChainError::TooLong(chain.len()));
    }
    let anchor = trust_points
        .iter()
        .find(|t| t.holder() == first.authority())
        .ok_or_else(|| ChainError::UnknownAuthority {
            holder: first.holder().clone(),
            authority: first.authority().clone(),
            expected: trust_points
                .iter()
                .map(|t| t.holder().to_string())
                .collect::<Vec<_>>()
                .join(" or "),
        })?;
    let mut current = anchor.as_verified().clone();
    for cert in chain {
        current = current.verify_next(cert, date, policy)?;
    }
    Ok(current)
}
