"""Where uploaded and generated files live: the local disk (default) or an S3-compatible bucket.

``MADOGUCHI_STORAGE=s3`` (docs/operations.md, "Storage") puts them in a private bucket. Every
file is still served through an access-checked view that reads it from the storage and streams
it to the visitor (``privacy.views.file_download``, the open-data download views), so the bucket
never has to be reachable from the Internet and no object URL is ever handed out: this storage
has no URL at all, and a template or view that asked for one fails loudly instead of leaking a
link that bypasses the access check and the audit row.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """A private bucket: objects written without an ACL (the bucket's policy applies), names never
    overwritten (a second file of the same name gets a new one, as on disk), and no URLs.
    Settings (``MADOGUCHI_S3_*``) add the bucket, the endpoint, the keys and the prefix."""

    default_acl = None

    def get_default_settings(self):
        defaults = super().get_default_settings()
        defaults.update(
            default_acl=None,
            file_overwrite=False,
            querystring_auth=True,
            querystring_expire=60,
            max_memory_size=16 * 1024 * 1024,  # in memory up to 16 MB while read, then a temporary file
        )
        return defaults

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise NotImplementedError(
            "Files on S3 are served only through access-checked views; the storage gives no URL."
        )
