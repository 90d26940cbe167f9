"""Vendor the front-end assets Relais serves itself (no CDN at run time).

Fetches Leaflet from the npm registry with ``npm pack leaflet@1.9.4`` and copies
its ``dist`` files (JS, CSS, marker images, licence) into ``app/static/vendor/leaflet/``.
Run it once after a change of version; the vendored files are kept in the repository.

    python scripts/vendor_assets.py
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

LEAFLET = "leaflet@1.9.4"
ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "app" / "static" / "vendor" / "leaflet"
# Files taken from the package (paths inside the tarball, under "package/").
FILES = [
    "dist/leaflet.js",
    "dist/leaflet.css",
    "dist/images/marker-icon.png",
    "dist/images/marker-icon-2x.png",
    "dist/images/marker-shadow.png",
    "dist/images/layers.png",
    "dist/images/layers-2x.png",
    "LICENSE",
]


def main() -> int:
    if shutil.which("npm") is None:
        print(
            "npm est introuvable : installez Node.js/npm pour récupérer Leaflet.", file=sys.stderr
        )
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["npm", "pack", LEAFLET, "--silent", "--pack-destination", tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
        DEST.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            for name in FILES:
                member = tar.getmember(f"package/{name}")
                data = tar.extractfile(member)
                if data is None:
                    raise RuntimeError(f"{name} absent du paquet {LEAFLET}")
                target = DEST / (name.removeprefix("dist/") if name.startswith("dist/") else name)
                target.parent.mkdir(parents=True, exist_ok=True)
                content = data.read()
                target.write_bytes(content)
                digest = hashlib.sha256(content).hexdigest()[:16]
                print(f"{target.relative_to(ROOT)}  {len(content):>8} o  sha256:{digest}")
    (DEST / "VERSION").write_text(LEAFLET + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
