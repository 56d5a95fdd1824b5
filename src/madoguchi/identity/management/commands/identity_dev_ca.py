import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from madoguchi.identity.devca import create_ca, issue_signing_certificate, make_crl
from madoguchi.identity.plugins.dev import dev_dir
from madoguchi.identity.services import crl_load, trust_anchor_add


class Command(BaseCommand):
    help = (
        "Create the development CA and test signing certificates (test 'cards') in var/identity/dev/, "
        "trust the CA and load its CRL. Development and tests only; refused in production."
    )

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("identity_dev_ca refuses to run with MADOGUCHI_PROFILE=production.")
        directory = dev_dir()
        (directory / "cards").mkdir(parents=True, exist_ok=True)
        ca = create_ca()
        cards = {
            "ishinomaki-shimin": ("石巻 市民", {}),
            "oshika-san": ("牡鹿 さん", {}),
            "expired": ("期限切れ 試験", {"not_before": datetime.now(UTC) - timedelta(days=800),
                                          "not_after": datetime.now(UTC) - timedelta(days=1)}),
            "revoked": ("失効 試験", {}),
        }  # fmt: skip
        index, revoked = {}, []
        for card_id, (name, validity) in cards.items():
            issued = issue_signing_certificate(ca, name, **validity)
            cert_path, key_path = (
                directory / "cards" / f"{card_id}.pem",
                directory / "cards" / f"{card_id}.key",
            )
            cert_path.write_text(issued.certificate_pem)
            key_path.write_text(issued.key_pem)
            key_path.chmod(0o600)
            index[card_id] = {"name": name, "certificate": str(cert_path), "key": str(key_path)}
            if card_id == "revoked":
                revoked.append(issued.certificate)
        (directory / "ca.pem").write_text(ca.certificate_pem)
        (directory / "ca.key").write_text(ca.key_pem)
        (directory / "ca.key").chmod(0o600)
        crl = make_crl(ca, revoked)
        (directory / "crl.der").write_bytes(crl)
        (directory / "cards.json").write_text(
            json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        trust_anchor_add(
            certificate_pem=ca.certificate_pem, name="Madoguchi development CA (TEST ONLY)", is_test=True
        )
        crl_load(crl_der=crl)
        self.stdout.write(f"development CA and {len(index)} test cards in {directory} (PIN 123456)")
