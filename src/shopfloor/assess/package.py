"""The application package: the workspace section, and one PDF with every attachment.

``package.pdf`` is the evidence report (its last section is the workspace: materials, owners,
due dates, status, completeness, certifications) followed by the attached files in list order:
PDF attachments are appended page by page, images are placed one per page, other files are
listed with their size and SHA-256 only. The generated pages carry the configured
desensitisation; attachments are included as the applicant provided them. The whole must stay
within the 50 MB limit of the application platform, else nothing is written and the error
names the largest attachments.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from shopfloor.assess.i18n import Texts
from shopfloor.assess.options import AssessOptions
from shopfloor.assess.report_pdf import MAX_PDF_BYTES, render_pdf
from shopfloor.errors import ShopfloorError

IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}


def workspace_html(ws: Mapping[str, Any], lang: str, options: AssessOptions) -> str:
    tx = Texts(lang)
    env = Environment(
        loader=PackageLoader("shopfloor.assess", "templates"), autoescape=select_autoescape(["j2"])
    )
    grade = next((g for g in options.grades if g.id == ws["level"]), None)
    name = ws["level"] if grade is None else tx.name(grade.zh, grade.en)
    return env.get_template("workspace.html.j2").render(w=ws, t=tx, lang=tx.lang, grade=name)


def attachments(ws: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every attached file once, materials first, in list order."""
    seen: dict[str, dict[str, Any]] = {}
    for group in ("materials", "certifications"):
        for item in ws[group]:
            for f in item["files"]:
                seen.setdefault(f["file"], {**f, "item": item["id"]})
    return list(seen.values())


def _image_pages(files: list[dict[str, Any]], font: str) -> bytes | None:
    images = [f for f in files if Path(f["file"]).suffix.lower() in IMAGES]
    if not images:
        return None
    body = "".join(
        f'<section style="break-before: page"><p>{f["item"]}: {f["path"]}</p>'
        f'<img src="{Path(f["file"]).resolve().as_uri()}" style="max-width:100%;max-height:170mm">'
        "</section>"
        for f in images
    )
    html = f"<html><body style=\"font-family:'{font}'\">{body}</body></html>"
    return render_pdf(html, font)


def package_pdf(report_pdf: bytes, ws: Mapping[str, Any], font: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    files = attachments(ws)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(report_pdf)))
    for f in files:
        if Path(f["file"]).suffix.lower() == ".pdf":
            try:
                writer.append(PdfReader(f["file"]))
            except Exception as exc:  # pypdf's errors vary by damage: name the file, stop
                raise ShopfloorError(
                    f"attachment {f['path']} is not a readable PDF: {exc}",
                    code="assess.bad_attachment",
                ) from None
    images = _image_pages(files, font)
    if images is not None:
        writer.append(PdfReader(io.BytesIO(images)))
    buf = io.BytesIO()
    writer.write(buf)
    data = buf.getvalue()
    if len(data) > MAX_PDF_BYTES:
        largest = sorted(files, key=lambda f: -int(f["size"]))[:3]
        names = ", ".join(f"{f['path']} ({f['size'] / 1e6:.1f} MB)" for f in largest)
        raise ShopfloorError(
            f"package.pdf would be {len(data) / 1e6:.1f} MB, above the "
            f"{MAX_PDF_BYTES / 1e6:.0f} MB limit; largest attachments: {names}",
            code="assess.pdf_too_large",
        )
    return data
