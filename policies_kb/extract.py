"""Reading policy documents (.txt, .md, .docx, .pdf) into plain text.

Every failure is a ``huiqi.errors.Invalid`` with a stable code and a Chinese message that says
what to do, so an import never half-reads a file silently:

- DOC_UNSUPPORTED_TYPE  the extension is not one we read
- DOC_TOO_LARGE         over MAX_BYTES, or a PDF with more than MAX_PDF_PAGES pages (split it)
- DOC_BINARY            a text file that is really binary (NUL bytes, control characters)
- DOC_CORRUPT           a .docx/.pdf that its library cannot open
- DOC_ENCRYPTED         a password-protected PDF
- DOC_EMPTY             no text at all (an empty file, or a scanned PDF without a text layer)
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from huiqi.errors import Invalid
from huiqi.text import decode_text

SUPPORTED = (".txt", ".md", ".docx", ".pdf")
MAX_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def read_text(path: Path) -> str:
    """The document's text, paragraphs separated by newlines; raises Invalid on bad input."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise Invalid("DOC_UNSUPPORTED_TYPE",
                      f"不支持的文件类型“{suffix or '无扩展名'}”（{path.name}）：请上传 .txt、.md、.docx 或 .pdf 文件。",
                      field="file")
    if not path.is_file():
        raise Invalid("DOC_NOT_FOUND", f"找不到文件 {path.name}：请检查路径后重新导入。", field="file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise Invalid("DOC_TOO_LARGE",
                      f"文件 {path.name} 有 {size / 1024 / 1024:.0f} MB，超过 {MAX_BYTES // 1024 // 1024} MB 上限："
                      "请拆分成几个较小的文件后分别导入。", field="file")
    if size == 0:
        raise _empty(path)
    reader = {".txt": _read_plain, ".md": _read_markdown, ".docx": _read_docx, ".pdf": _read_pdf}[suffix]
    text = reader(path)
    if not text.strip():
        raise _empty(path, scanned=suffix == ".pdf")
    return text


def _empty(path: Path, scanned: bool = False) -> Invalid:
    hint = "它可能是扫描件，没有文字层：请提供文字版，或先做文字识别（OCR）后再导入。" if scanned \
        else "请检查是否选错了文件。"
    return Invalid("DOC_EMPTY", f"文件 {path.name} 没有可读的文字：{hint}", field="file")


def _binary(path: Path) -> Invalid:
    return Invalid("DOC_BINARY", f"文件 {path.name} 看起来是二进制文件而不是文本：请另存为 UTF-8 文本、.docx 或 .pdf 后再导入。",
                   field="file")


def _corrupt(path: Path, kind: str) -> Invalid:
    return Invalid("DOC_CORRUPT", f"无法打开 {kind} 文件 {path.name}，文件可能已损坏：请用 Word/WPS 或 PDF 阅读器打开并重新保存后再导入。",
                   field="file")


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:65536]:
        raise _binary(path)
    text = decode_text(data)
    if text is None:
        raise _binary(path)
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise _binary(path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_plain(path: Path) -> str:
    return _decode(path.read_bytes(), path)


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_BULLET = re.compile(r"^\s*[-*+]\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _read_markdown(path: Path) -> str:
    """Markdown as plain text: headings, bullets, emphasis and link targets dropped."""
    lines = []
    for line in _decode(path.read_bytes(), path).split("\n"):
        if re.fullmatch(r"\s*([-*_]\s*){3,}", line) or line.strip().startswith("```"):
            continue
        line = _MD_HEADING.sub("", line)
        line = _MD_BULLET.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        lines.append(_MD_EMPHASIS.sub("", line))
    return "\n".join(lines)


def _read_docx(path: Path) -> str:
    """Paragraphs and tables in body order; each table row becomes one line."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _corrupt(path, "Word") from exc
    except Exception as exc:  # python-docx raises lxml / package errors of several kinds
        raise _corrupt(path, "Word") from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            lines.extend(_table_lines(Table(child, document)))
    return "\n".join(lines)


def _table_lines(table) -> list[str]:
    """One line per row: cells of a table with three or more columns are joined with " | " (the parser
    reads such rows as one item each, by their header), narrower rows with an ideographic space."""
    out = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = cell.text.strip()
            if value and (not cells or cells[-1] != value):  # merged cells repeat their text
                cells.append(value)
        if cells:
            out.append((" | " if len(table.columns) >= 3 else "　").join(cells))
    return out


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        encrypted = reader.is_encrypted
        if encrypted:
            try:
                encrypted = not reader.decrypt("")
            except Exception:
                encrypted = True
        if encrypted:
            raise Invalid("DOC_ENCRYPTED", f"PDF 文件 {path.name} 有密码保护：请解除密码后再导入。", field="file")
        pages = reader.pages
        count = len(pages)
    except Invalid:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise _corrupt(path, "PDF") from exc
    except Exception as exc:
        raise _corrupt(path, "PDF") from exc
    if count > MAX_PDF_PAGES:
        raise Invalid("DOC_TOO_LARGE", f"PDF 文件 {path.name} 共 {count} 页，超过 {MAX_PDF_PAGES} 页上限："
                      "请按章节拆分成几个较小的文件后分别导入。", field="file")
    texts = []
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:
            raise _corrupt(path, "PDF") from exc
    return "\n".join(texts)
