"""The organisation's OpenPGP key pair, kept by GnuPG in the data folder (VULNDESK_DATA_DIR/gnupg).

The private key never leaves that folder: vulndesk publishes only the public key, decrypts
incoming mail with it and signs security.txt. It has no passphrase, because mail is decrypted
unattended; the folder is readable by the service account only (0700), like the secret key file.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gnupg
from django.conf import settings


class OrgKeyError(Exception):
    """No usable organisation key, or GnuPG failed; the message says what to do."""


@dataclass(frozen=True)
class Decrypted:
    data: bytes
    # "unsigned", "valid", "bad" or "unknown_key" (signed by a key we do not hold).
    signature: str
    signer: str  # fingerprint or key id of the signer, when signed


def keyring_dir() -> Path:
    return Path(settings.DATA_DIR) / "gnupg"


def gpg_available() -> bool:
    return shutil.which("gpg") is not None


def _gpg() -> Any:  # gnupg.GPG, which publishes no types
    if not gpg_available():
        raise OrgKeyError("GnuPG (gpg) is not installed; install the gnupg package.")
    home = keyring_dir()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    return gnupg.GPG(gnupghome=str(home))


def fingerprint() -> str | None:
    """The organisation key's fingerprint, or None while there is none (before `vulndesk pgp init`)."""
    if not keyring_dir().is_dir() or not gpg_available():
        return None
    secret_keys = _gpg().list_keys(secret=True)
    return str(secret_keys[0]["fingerprint"]) if secret_keys else None


def _require_fingerprint() -> str:
    found = fingerprint()
    if found is None:
        raise OrgKeyError("There is no organisation key yet; run `vulndesk pgp init` or `vulndesk pgp import`.")
    return found


def create_key(*, name: str, email: str) -> str:
    """Generate the key pair (Ed25519 signing, Curve25519 encryption); refuse if one exists."""
    if fingerprint() is not None:
        raise OrgKeyError("An organisation key already exists; remove the data folder's gnupg/ first to replace it.")
    gpg = _gpg()
    key_input = gpg.gen_key_input(
        name_real=name,
        name_email=email,
        key_type="EDDSA",
        key_curve="ed25519",
        key_usage="sign",
        subkey_type="ECDH",
        subkey_curve="cv25519",
        subkey_usage="encrypt",
        expire_date="2y",
        no_protection=True,
    )
    key = gpg.gen_key(key_input)
    if not key.fingerprint:
        raise OrgKeyError(f"GnuPG could not create the key: {key.stderr.strip()}")
    return str(key.fingerprint)


def import_key(armored_secret_key: str) -> str:
    """Take an existing key pair (ASCII-armored secret key, without passphrase)."""
    if fingerprint() is not None:
        raise OrgKeyError("An organisation key already exists; remove the data folder's gnupg/ first to replace it.")
    gpg = _gpg()
    result = gpg.import_keys(armored_secret_key)
    if not result.sec_imported:
        raise OrgKeyError("That is not an OpenPGP secret key; export it with `gpg --export-secret-keys --armor`.")
    return _require_fingerprint()


def public_key() -> str:
    return str(_gpg().export_keys(_require_fingerprint()))


def sign_text(text: str) -> str:
    """`text` clear-signed with the organisation key."""
    signed = _gpg().sign(text, keyid=_require_fingerprint(), clearsign=True)
    if not signed.data:
        raise OrgKeyError(f"Signing failed: {signed.status}")
    return str(signed)


def decrypt(armored: bytes) -> Decrypted:
    """Decrypt a message to the organisation key, and say whether and by whom it was signed."""
    _require_fingerprint()
    result = _gpg().decrypt(armored)
    if not result.ok:
        raise OrgKeyError(f"Could not decrypt: {result.status or 'not an OpenPGP message for our key'}.")
    return Decrypted(data=result.data, signature=_signature_state(result), signer=_signer(result))


def verify_clearsigned(text: bytes) -> tuple[str, str]:
    """(signature state, signer) of an inline clear-signed text."""
    result = _gpg().verify(text)
    return _signature_state(result), _signer(result)


def _problems(result: Any) -> list[dict[str, str]]:
    return list(getattr(result, "problems", None) or [])


def _signature_state(result: Any) -> str:
    """How the signature checked out. python-gnupg reports a missing signer key as a problem."""
    if result.valid:
        return "valid"
    statuses = {problem.get("status") for problem in _problems(result)} | {getattr(result, "status", None)}
    if "no public key" in statuses:
        return "unknown_key"
    if statuses & {"signature bad", "bad signature", "signature error"} or result.fingerprint:
        return "bad"
    return "unsigned"


def _signer(result: Any) -> str:
    # key_id alone may be the *encryption* key of an unsigned message, so only a signer's ids count.
    if result.fingerprint:
        return str(result.fingerprint)
    for problem in _problems(result):
        if problem.get("status") == "no public key":
            return str(problem.get("keyid", ""))
    return ""
