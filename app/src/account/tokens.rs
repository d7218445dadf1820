//! Access tokens (RS256 JWTs, 15 minutes) and opaque refresh tokens (7 days, stored
//! only as SHA-256 hashes). The signing key comes from a PEM file or variable; in
//! development one is generated on first run into the data folder.

use crate::error::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use uuid::Uuid;

pub const ACCESS_TTL_SECS: u64 = 15 * 60;
pub const REFRESH_TTL_DAYS: i64 = 7;
pub const ISSUER: &str = "mandi";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub roles: Vec<String>,
    /// Tenant slug the token acts in.
    pub tenant: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: Uuid,
    pub iss: String,
    /// The sign-in (refresh-token family) this token belongs to: ending that session
    /// (sign-out, sign-out everywhere, theft detection) ends its access tokens too.
    pub sid: Uuid,
}

pub struct SigningKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwks: JwkSet,
    /// Tokens already verified, by SHA-256 of the token: an RSA-2048 verification costs
    /// ~0.4 ms in pure Rust, and a client repeats one token for up to 15 minutes. Expiry
    /// is re-checked on every hit; revocation is the caller's database check as before.
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], Claims>>,
}

/// Past this many cached tokens the cache starts over (memory stays bounded).
const VERIFIED_CACHE_MAX: usize = 50_000;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the signing key {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the signing key is not an RSA private key in PEM: {0}")]
    Parse(String),
    #[error("cannot write a development signing key to {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("no signing key: set MANDI_JWT_PRIVATE_KEY_FILE (production never generates one)")]
    Missing,
}

impl SigningKeys {
    pub fn from_pem(pem: &[u8]) -> Result<SigningKeys, KeyError> {
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        let text = std::str::from_utf8(pem).map_err(|e| KeyError::Parse(e.to_string()))?;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(text)
            .or_else(|_| {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                rsa::RsaPrivateKey::from_pkcs1_pem(text)
            })
            .map_err(|e| KeyError::Parse(e.to_string()))?;
        let public_der = private.to_public_key().to_public_key_der().map_err(|e| KeyError::Parse(e.to_string()))?;
        // The key id is a digest of the public key, so it changes exactly when the key does.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(public_der.as_bytes())[..12]);
        let encoding = EncodingKey::from_rsa_pem(pem).map_err(|e| KeyError::Parse(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_der(&rsa_public_pkcs1_der(&private)?);
        let mut jwk =
            Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(|e| KeyError::Parse(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(SigningKeys { encoding, decoding, kid, jwks: JwkSet { keys: vec![jwk] }, verified: Default::default() })
    }

    /// Reads the key at `file`; when there is none and `generate` is allowed
    /// (development, test), creates one there first.
    pub fn load_or_generate(file: &Path, generate: bool) -> Result<SigningKeys, KeyError> {
        match std::fs::read(file) {
            Ok(pem) => SigningKeys::from_pem(&pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && generate => {
                let pem = generate_pem()?;
                write_atomically(file, pem.as_bytes())?;
                tracing::info!(path = %file.display(), "generated a development signing key");
                // Another process may have won the race to write it; use what is on disk.
                SigningKeys::from_pem(
                    &std::fs::read(file)
                        .map_err(|source| KeyError::Read { path: file.display().to_string(), source })?,
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyError::Missing),
            Err(source) => Err(KeyError::Read { path: file.display().to_string(), source }),
        }
    }

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    pub fn issue(
        &self,
        user: Uuid,
        session: Uuid,
        tenant: &str,
        roles: Vec<String>,
        now: u64,
    ) -> Result<(String, Claims), AppError> {
        let claims = Claims {
            sid: session,
            sub: user,
            roles,
            tenant: tenant.to_string(),
            iat: now,
            exp: now + ACCESS_TTL_SECS,
            jti: Uuid::now_v7(),
            iss: ISSUER.into(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|e| AppError::internal("jwt signing", e))?;
        Ok((token, claims))
    }

    /// Verifies signature (RS256 only: `none` and HS256 confusion are refused), issuer
    /// and expiry; a token seen before is answered from the cache, expiry re-checked.
    /// Revocation is checked by the caller against the database.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = jsonwebtoken::get_current_timestamp();
        let cached = self.verified.lock().ok().and_then(|cache| cache.get(&key).cloned());
        if let Some(claims) = cached {
            return if claims.exp + 5 >= now { Ok(claims) } else { Err(AppError::Unauthenticated) };
        }
        let claims = self.verify_uncached(token)?;
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, claims.clone());
        }
        Ok(claims)
    }

    fn verify_uncached(&self, token: &str) -> Result<Claims, AppError> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| AppError::Unauthenticated)
    }
}

fn rsa_public_pkcs1_der(private: &rsa::RsaPrivateKey) -> Result<Vec<u8>, KeyError> {
    use rsa::pkcs1::EncodeRsaPublicKey;
    Ok(private.to_public_key().to_pkcs1_der().map_err(|e| KeyError::Parse(e.to_string()))?.as_bytes().to_vec())
}

fn generate_pem() -> Result<String, KeyError> {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| KeyError::Parse(e.to_string()))?;
    Ok(key.to_pkcs8_pem(LineEnding::LF).map_err(|e| KeyError::Parse(e.to_string()))?.to_string())
}

fn write_atomically(file: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    let err = |source| KeyError::Write { path: file.display().to_string(), source };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = file.with_extension(format!("tmp-{}", Uuid::new_v4().simple()));
    std::fs::write(&tmp, bytes).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    }
    std::fs::rename(&tmp, file).map_err(err)
}

/// A new opaque refresh token: 32 random bytes, URL-safe. Only its hash is stored.
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD
        .encode(uuid::Uuid::new_v4().as_bytes().iter().chain(Uuid::new_v4().as_bytes()).copied().collect::<Vec<u8>>())
}

pub fn refresh_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SigningKeys {
        SigningKeys::from_pem(generate_pem().unwrap().as_bytes()).unwrap()
    }

    #[test]
    fn issues_and_verifies_and_refuses_forgeries() {
        let pem = generate_pem().unwrap();
        let k = SigningKeys::from_pem(pem.as_bytes()).unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let (token, claims) =
            k.issue(Uuid::now_v7(), Uuid::now_v7(), "greenharvest", vec!["customer".into()], now).unwrap();
        assert_eq!(k.verify(&token).unwrap(), claims);

        // Tampered payload.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&Claims { roles: vec!["admin".into()], ..claims.clone() }).unwrap());
        assert!(k.verify(&format!("{}.{}.{}", parts[0], forged_claims, parts[2])).is_err());
        // alg: none.
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(k.verify(&format!("{none_header}.{}.", parts[1])).is_err());
        // HS256 signed with the public key as the secret (algorithm confusion).
        let public_pem = {
            use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
            rsa::RsaPrivateKey::from_pkcs8_pem(&pem).unwrap().to_public_key().to_public_key_pem(LineEnding::LF).unwrap()
        };
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .unwrap();
        assert!(k.verify(&hs).is_err());
        // Another key's signature.
        let (other, _) = keys().issue(claims.sub, claims.sid, "greenharvest", vec![], now).unwrap();
        assert!(k.verify(&other).is_err());
        // Expired.
        let (old, _) = k.issue(claims.sub, claims.sid, "greenharvest", vec![], now - ACCESS_TTL_SECS - 60).unwrap();
        assert!(k.verify(&old).is_err());
        assert!(k.verify("not.a.jwt").is_err());
        // A cached token still expires.
        let (short, claims) =
            k.issue(claims.sub, claims.sid, "greenharvest", vec![], now - ACCESS_TTL_SECS + 1).unwrap();
        assert_eq!(k.verify(&short).unwrap(), claims);
        k.verified.lock().unwrap().get_mut(&<[u8; 32]>::from(Sha256::digest(short.as_bytes()))).unwrap().exp = now - 60;
        assert!(k.verify(&short).is_err());
    }

    #[test]
    fn jwks_publishes_the_public_key_with_its_id() {
        let k = keys();
        let set = serde_json::to_value(k.jwks()).unwrap();
        let key = &set["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["kid"], k.kid.as_str());
        assert!(key.get("d").is_none(), "private part must not be published");
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(a.len(), 43);
        assert_eq!(refresh_token_hash(&a).len(), 32);
    }
}
