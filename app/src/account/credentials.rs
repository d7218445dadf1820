//! What a client sends to sign up or in, parsed into types that can only hold valid
//! values, and what it gets back.

use crate::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

/// A password as typed; never logged, never stored.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else {
            return Err("must be an e-mail address like name@example.com".into());
        };
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if ok { Ok(Email(s)) } else { Err("must be an e-mail address like name@example.com".into()) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Phone {
    /// E.164 (`+919840012345`); a 10-digit Indian mobile number gets `+91`.
    pub fn parse(raw: &str) -> Result<Phone, String> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
        let e164 = if compact.len() == 10 && compact.starts_with(['6', '7', '8', '9']) {
            format!("+91{compact}")
        } else {
            compact
        };
        let digits = e164.strip_prefix('+').unwrap_or("");
        let ok =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if ok { Ok(Phone(e164)) } else { Err("must be a phone number like +919840012345".into()) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 128;

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let n = raw.chars().count();
        if n < MIN_PASSWORD {
            Err(format!("must be at least {MIN_PASSWORD} characters"))
        } else if n > MAX_PASSWORD {
            Err(format!("must be at most {MAX_PASSWORD} characters"))
        } else {
            Ok(Password(raw.to_string()))
        }
    }
    /// A password as given at sign-in: only presence and size were checked, since rules
    /// for new passwords may change and old passwords must keep working.
    fn for_sign_in(raw: &str) -> Password {
        Password(raw.to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Which account a sign-in names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Email(Email),
    Phone(Phone),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
    /// Tenant to sign in to, when the person belongs to several.
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeRequest {
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeSignInRequest {
    pub phone: Option<String>,
    pub code: Option<String>,
    pub tenant: Option<String>,
}

/// Six ASCII digits, as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl std::fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneTimeCode(…)")
    }
}

pub const CODE_DIGITS: usize = 6;

impl OneTimeCode {
    pub fn parse(raw: &str) -> Result<OneTimeCode, String> {
        let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OneTimeCode(code))
        } else {
            Err(format!("must be the {CODE_DIGITS} digits we sent"))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug)]
pub struct ParsedCodeSignIn {
    pub phone: Phone,
    pub code: OneTimeCode,
    pub tenant: Option<String>,
}

impl CodeRequest {
    pub fn parse(&self) -> Result<Phone, AppError> {
        match self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Err(AppError::validation("phone", "is required")),
            Some(p) => Phone::parse(p).map_err(|m| AppError::validation("phone", m)),
        }
    }
}

impl CodeSignInRequest {
    pub fn parse(&self) -> Result<ParsedCodeSignIn, AppError> {
        let mut fields = FieldErrors::new();
        let phone = CodeRequest { phone: self.phone.clone() }
            .parse()
            .map_err(|e| fields.extend(e.fields().cloned().unwrap_or_default()))
            .ok();
        let code = match self.code.as_deref().filter(|c| !c.trim().is_empty()) {
            None => {
                fields.insert("code".into(), "is required".into());
                None
            }
            Some(c) => OneTimeCode::parse(c).map_err(|m| fields.insert("code".into(), m)).ok(),
        };
        match (phone, code) {
            (Some(phone), Some(code)) => Ok(ParsedCodeSignIn { phone, code, tenant: self.tenant.clone() }),
            _ => Err(AppError::Validation { fields }),
        }
    }
}

/// What a code request answers: never whether the phone has an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CodeSent {
    /// Seconds the code stays valid.
    pub expires_in: u64,
    /// Seconds before another code may be asked for.
    pub resend_after: u64,
}

#[derive(Debug)]
pub struct ParsedLogin {
    pub login: Login,
    pub password: Password,
    pub tenant: Option<String>,
}

#[derive(Debug)]
pub struct ParsedRegistration {
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub password: Password,
    pub display_name: String,
}

fn login_of(email: Option<&str>, phone: Option<&str>, fields: &mut FieldErrors) -> Option<Login> {
    let email = email.map(str::trim).filter(|s| !s.is_empty());
    let phone = phone.map(str::trim).filter(|s| !s.is_empty());
    match (email, phone) {
        (Some(e), _) => Email::parse(e).map(Login::Email).map_err(|m| fields.insert("email".into(), m)).ok(),
        (None, Some(p)) => Phone::parse(p).map(Login::Phone).map_err(|m| fields.insert("phone".into(), m)).ok(),
        (None, None) => {
            fields.insert("email".into(), "give an e-mail address or a phone number".into());
            None
        }
    }
}

impl LoginRequest {
    pub fn parse(&self) -> Result<ParsedLogin, AppError> {
        let mut fields = FieldErrors::new();
        let login = login_of(self.email.as_deref(), self.phone.as_deref(), &mut fields);
        let password = match self.password.as_deref() {
            Some(p) if !p.is_empty() && p.chars().count() <= MAX_PASSWORD => Some(Password::for_sign_in(p)),
            Some(p) if !p.is_empty() => {
                fields.insert("password".into(), format!("must be at most {MAX_PASSWORD} characters"));
                None
            }
            _ => {
                fields.insert("password".into(), "is required".into());
                None
            }
        };
        match (login, password) {
            (Some(login), Some(password)) if fields.is_empty() => {
                Ok(ParsedLogin { login, password, tenant: self.tenant.clone() })
            }
            _ => Err(AppError::Validation { fields }),
        }
    }
}

impl RegisterRequest {
    pub fn parse(&self) -> Result<ParsedRegistration, AppError> {
        let mut fields = FieldErrors::new();
        let email = self.email.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let phone = self.phone.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if email.is_none() && phone.is_none() {
            fields.insert("email".into(), "give an e-mail address or a phone number".into());
        }
        let email = email.and_then(|e| Email::parse(e).map_err(|m| fields.insert("email".into(), m)).ok());
        let phone = phone.and_then(|p| Phone::parse(p).map_err(|m| fields.insert("phone".into(), m)).ok());
        let password = Password::parse(self.password.as_deref().unwrap_or(""))
            .map_err(|m| fields.insert("password".into(), m))
            .ok();
        let name = self.display_name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            fields.insert("displayName".into(), "is required".into());
        } else if name.chars().count() > 200 || name.chars().any(char::is_control) {
            fields.insert("displayName".into(), "must be at most 200 printable characters".into());
        }
        match password {
            Some(password) if fields.is_empty() => {
                Ok(ParsedRegistration { email, phone, password, display_name: name.to_string() })
            }
            _ => Err(AppError::Validation { fields }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: Uuid,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tenant: String,
    pub roles: Vec<String>,
}

/// One tenant a person belongs to, with their roles there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TenantMembership {
    pub slug: String,
    pub name: String,
    pub roles: Vec<String>,
}

/// `GET /auth/me`: who is signed in, where, and where else they could be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(flatten)]
    pub user: UserView,
    pub tenants: Vec<TenantMembership>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SwitchTenantRequest {
    pub tenant: Option<String>,
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserView,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Asha@Example.COM ").unwrap().as_str(), "asha@example.com");
        for bad in ["", "asha", "asha@", "@example.com", "asha@example", "a b@example.com", "asha@.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("98400 12345").unwrap().as_str(), "+919840012345");
        assert_eq!(Phone::parse("+44 20 7946 0958").unwrap().as_str(), "+442079460958");
        for bad in ["", "12345", "+0123456789", "98400-1234a", "+1234567890123456", "5840012345"] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn registration_reports_every_field() {
        let r = RegisterRequest {
            email: Some("nope".into()),
            phone: Some("12".into()),
            password: Some("short".into()),
            display_name: None,
        };
        let AppError::Validation { fields } = r.parse().unwrap_err() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["displayName", "email", "password", "phone"]);
    }

    #[test]
    fn login_needs_an_identifier_and_a_password() {
        let e = LoginRequest::default().parse().unwrap_err();
        assert!(e.fields().unwrap().contains_key("email") && e.fields().unwrap().contains_key("password"));
        let ok = LoginRequest { phone: Some("9840012345".into()), password: Some("x".into()), ..Default::default() };
        assert!(matches!(ok.parse().unwrap().login, Login::Phone(_)));
    }

    #[test]
    fn one_time_codes_are_six_digits() {
        assert_eq!(OneTimeCode::parse(" 123 456 ").unwrap().expose(), "123456");
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert!(OneTimeCode::parse(bad).is_err(), "{bad:?}");
        }
        let e = CodeSignInRequest { phone: Some("12".into()), code: None, tenant: None }.parse().unwrap_err();
        assert_eq!(e.fields().unwrap().keys().collect::<Vec<_>>(), ["code", "phone"]);
        assert_eq!(format!("{:?}", OneTimeCode::parse("123456").unwrap()), "OneTimeCode(…)");
    }

    #[test]
    fn passwords_do_not_leak_through_debug() {
        assert_eq!(format!("{:?}", Password::parse("correct horse").unwrap()), "Password(…)");
    }
}
