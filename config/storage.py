"""Static files as served under DEBUG=0: collectstatic writes each file once more under a name with
its content's hash, and gzip-compressed beside it; WhiteNoise (settings.MIDDLEWARE) serves them with
`Cache-Control: immutable`, so a browser never asks for a file twice and never runs a stale one."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # The pages' ES modules import each other (`import { t } from "./live.js"`): rewrite those imports
    # to the hashed names too, or a page would load a fresh room.js that imports a cached, older live.js.
    support_js_module_import_aggregation = True
