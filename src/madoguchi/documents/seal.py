"""The city's electronic seal (電子公印): the key and certificate that sign issued PDFs (PAdES, pyhanko).

Production configures ``MADOGUCHI_SEAL_KEY_FILE`` and ``MADOGUCHI_SEAL_CERT_FILE`` (and
``MADOGUCHI_SEAL_CHAIN_FILE`` for the issuing CA). Development and tests generate a test seal and its
test CA under ``var/documents/seal/`` on first use.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class SealFiles:
    key: Path
    certificate: Path
    chain: Path | None


def _dev_seal() -> SealFiles:
    from madoguchi.identity.devca import create_ca, issue_signing_certificate

    directory = settings.BASE_DIR / "var" / "documents" / "seal"
    key, cert, chain = directory / "seal.key", directory / "seal.pem", directory / "ca.pem"
    if not key.exists():
        directory.mkdir(parents=True, exist_ok=True)
        ca = create_ca("石巻市 電子公印 試験用認証局 (TEST ONLY)")
        seal = issue_signing_certificate(ca, "石巻市長 電子公印 (TEST ONLY)")
        chain.write_text(ca.certificate_pem)
        cert.write_text(seal.certificate_pem)
        key.write_text(seal.key_pem)
        key.chmod(0o600)
    return SealFiles(key, cert, chain)


def seal_files() -> SealFiles:
    key, cert = settings.MADOGUCHI_SEAL_KEY_FILE, settings.MADOGUCHI_SEAL_CERT_FILE
    if key and cert:
        chain = settings.MADOGUCHI_SEAL_CHAIN_FILE
        return SealFiles(Path(key), Path(cert), Path(chain) if chain else None)
    if settings.IS_PRODUCTION:
        raise ImproperlyConfigured(
            "MADOGUCHI_SEAL_KEY_FILE and MADOGUCHI_SEAL_CERT_FILE are required in production."
        )
    return _dev_seal()


@lru_cache(maxsize=1)
def _signer(key: str, cert: str, chain: str | None):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,) if chain else None)


def sign_pdf(pdf: bytes, *, reason: str, location: str) -> bytes:
    """Seal a PDF (PAdES baseline, SHA-256) with the city's electronic seal."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    files = seal_files()
    signer = _signer(str(files.key), str(files.certificate), str(files.chain) if files.chain else None)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="CitySeal", reason=reason, location=location, subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )  # fmt: skip
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def validate_pdf(pdf: bytes, trust_roots_pem: list[str]) -> dict:
    """pyhanko's own validation: is the seal intact, and does it chain to the given roots?"""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(asn1_pem.unarmor(pem.encode())[2]) for pem in trust_roots_pem]
    reader = PdfFileReader(io.BytesIO(pdf))
    signatures = reader.embedded_signatures
    if not signatures:
        return {"intact": False, "valid": False, "signed": False}
    status = validate_pdf_signature(signatures[0], ValidationContext(trust_roots=roots, allow_fetching=False))
    return {"intact": bool(status.intact), "valid": bool(status.valid), "trusted": bool(status.trusted), "signed": True,
            "covers_whole_file": status.coverage.name == "ENTIRE_FILE"}  # fmt: skip
