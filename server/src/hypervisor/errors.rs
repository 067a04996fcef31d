//! What a libvirt call can fail with, as Vireo reports it: libvirt's message where it only describes
//! the host or domain, a fixed message per kind where it could quote more (opening a connection).

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HypervisorError {
    /// libvirt's own message, for the user: from calls on an open connection to a URI Vireo built,
    /// where it describes the host or the domain, never a file's contents.
    #[error("{0}")]
    Libvirt(String),
    /// Opening the connection failed. libvirt's message is not kept: depending on the URI it can
    /// quote a file (the test driver parses the path it is given and quotes it on a parse error),
    /// ssh's output or a socket path. The kind is enough for the user; the full message goes to the
    /// operator's debug log.
    #[error("{0}")]
    Connect(ConnectFailure),
    /// Vireo does not open this URI (`HostAddress::parse_uri` refused it): a stored row that is not
    /// one Vireo would build.
    #[error("Vireo does not connect to this URI: {0}")]
    UriRefused(String),
    /// An SSH host with no confirmed host key: Vireo does not connect to it.
    #[error("no confirmed SSH host key for this host; add it through Add Host, which shows the key's fingerprint for confirmation")]
    NoPinnedKey,
    /// The SSH host presented another key than the pinned one: the connection was refused.
    #[error("SSH host key mismatch: Vireo pinned {pinned}, but the host now presents {presented}; the connection was refused (if the host's key really changed, remove the host and add it again to confirm the new fingerprint)")]
    HostKeyChanged { pinned: String, presented: String },
    #[error("no answer from the host within {0} seconds")]
    Timeout(u64),
    #[error("{0}")]
    Capabilities(String),
    /// This console cannot be had on this host at all: its driver has none (libvirt's test driver
    /// answers "not supported"), or the host is remote and libvirt cannot pass its display's socket.
    #[error("{0}")]
    ConsoleUnavailable(String),
    /// Another client holds the console (libvirt allows one) and it was not taken over.
    #[error("another client holds the console")]
    ConsoleHeld,
}

/// Why a connection could not be opened, as a fixed message per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectFailure {
    #[error("the host did not answer (network, ssh or libvirt socket error)")]
    NoAnswer,
    #[error("authentication failed")]
    Authentication,
    #[error("the TLS handshake or its certificates failed")]
    Tls,
    #[error("libvirt refused the connection")]
    Refused,
}

impl ConnectFailure {
    /// Classifies libvirt's error by its code and domain, never by its text.
    pub fn classify(code: virt::error::ErrorNumberEnum, domain: virt::error::ErrorDomainEnum) -> Self {
        use virt::enumutil::Enum::Known;
        use virt::error::{ErrorDomain as D, ErrorNumber as N};
        match (code, domain) {
            (Known(N::AuthFailed | N::AuthCancelled | N::AuthUnavailable), _) | (_, Known(D::Auth)) => {
                Self::Authentication
            }
            (Known(N::GnutlsError), _) | (_, Known(D::Crypto)) => Self::Tls,
            (
                Known(
                    N::SystemError
                    | N::NoConnect
                    | N::Rpc
                    | N::OperationTimeout
                    | N::UnknownHost
                    | N::NoServer
                    | N::Ssh
                    | N::Libssh,
                ),
                _,
            )
            | (_, Known(D::Rpc | D::Remote | D::Ssh | D::Libssh)) => Self::NoAnswer,
            _ => Self::Refused,
        }
    }
}

impl HypervisorError {
    /// Whether the connection may be at fault, so the pool reconnects for the next call. A console
    /// the host has not got or another client holds is the domain's answer, not the connection's.
    pub fn may_be_the_connection(&self) -> bool {
        !matches!(self, Self::ConsoleUnavailable(_) | Self::ConsoleHeld)
    }
}

pub(super) fn libvirt_error(e: virt::error::Error) -> HypervisorError {
    HypervisorError::Libvirt(e.message().to_string())
}

#[cfg(test)]
mod tests {
    use super::ConnectFailure;
    use virt::enumutil::Enum::{Known, Unknown};
    use virt::error::{ErrorDomain as D, ErrorNumber as N};

    #[test]
    fn connection_failures_are_classified_by_code_and_domain() {
        let kind = ConnectFailure::classify;
        assert_eq!(
            kind(Known(N::AuthFailed), Known(D::Remote)),
            ConnectFailure::Authentication
        );
        assert_eq!(
            kind(Known(N::AuthUnavailable), Known(D::Rpc)),
            ConnectFailure::Authentication
        );
        assert_eq!(
            kind(Known(N::InternalError), Known(D::Auth)),
            ConnectFailure::Authentication
        );
        assert_eq!(kind(Known(N::GnutlsError), Known(D::Rpc)), ConnectFailure::Tls);
        assert_eq!(kind(Known(N::SystemError), Known(D::Rpc)), ConnectFailure::NoAnswer);
        assert_eq!(kind(Known(N::NoConnect), Known(D::None)), ConnectFailure::NoAnswer);
        assert_eq!(kind(Known(N::InternalError), Known(D::Ssh)), ConnectFailure::NoAnswer);
        // What `test:///etc/shadow` used to produce (an XML parse error quoting the file): a kind,
        // not the text.
        assert_eq!(kind(Known(N::XmlError), Known(D::Test)), ConnectFailure::Refused);
        assert_eq!(kind(Known(N::NoSupport), Known(D::None)), ConnectFailure::Refused);
        assert_eq!(kind(Unknown(9999), Unknown(9999)), ConnectFailure::Refused);
        assert_eq!(ConnectFailure::Refused.to_string(), "libvirt refused the connection");
    }
}
