"""Encrypting mail to a researcher's OpenPGP key with the system's GnuPG (`gpg`).

Each call works in a fresh, throw-away keyring, so no key is ever trusted beyond the one
message it encrypts and nothing is left on disk.
"""

import shutil
import tempfile
from dataclasses import dataclass

import gnupg


class OpenPgpError(Exception):
    """The key is unusable or gpg failed; the message says which, for a person to act on."""


@dataclass(frozen=True)
class ImportedKey:
    fingerprint: str


def gpg_available() -> bool:
    return shutil.which("gpg") is not None


def _gpg(home: str) -> "gnupg.GPG":
    if not gpg_available():
        raise OpenPgpError("GnuPG (gpg) is not installed on the server; install the gnupg package.")
    return gnupg.GPG(gnupghome=home)


def inspect_public_key(armored_key: str) -> ImportedKey:
    """The key's fingerprint, or OpenPgpError when the text is not exactly one usable public key."""
    with tempfile.TemporaryDirectory(prefix="vd-gpg-") as home:
        result = _gpg(home).import_keys(armored_key)
        fingerprints = list(dict.fromkeys(result.fingerprints))
        if len(fingerprints) != 1 or result.sec_imported:
            raise OpenPgpError("Paste exactly one OpenPGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----).")
        return ImportedKey(fingerprint=fingerprints[0])


def encrypt(text: str, armored_key: str) -> str:
    """`text` encrypted to `armored_key`, ASCII-armored."""
    with tempfile.TemporaryDirectory(prefix="vd-gpg-") as home:
        gpg = _gpg(home)
        imported = gpg.import_keys(armored_key)
        if not imported.fingerprints:
            raise OpenPgpError("The researcher's OpenPGP key could not be read.")
        # The key was just imported into a throw-away keyring: trusting it here means only
        # "encrypt to exactly this key", which is what the researcher asked for.
        result = gpg.encrypt(text, imported.fingerprints[0], always_trust=True, armor=True)
        if not result.ok:
            raise OpenPgpError(f"Encrypting to the researcher's key failed: {result.status}.")
        return str(result)
