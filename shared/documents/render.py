"""A4 PDFs of the documents, ready for a print shop and for archiving.

reportlab's platypus lays the pages out: the addressee sits where a 長3 window envelope shows it (A4 folded in
three), the issuer at the top right, the body below with Japanese line breaking (``wordWrap="CJK"``), IPAex Mincho
for text and IPAex Gothic for headings and tables. Both fonts are embedded (subsets with a ToUnicode map), so text
can be extracted and searched. The payment slip carries the convenience-store code as a vector GS1-128 barcode
and the payment data as a QR code, both read back by the tests from a rendered image.

Before anything is drawn a document is refused (ValueError naming the field) when it is meant for an outsourced
firm but lists a tax or a 強制徴収公債権 (地方税法第22条 secrecy; 滞納処分 is never outsourced), or when a text holds a
character the fonts cannot print (a 外字 must be replaced by the caller, never printed as a blank box).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from pydantic import BaseModel
from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    FrameBreak,
    KeepInFrame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
    TopPadder,
)

from contracts.enums import LegalCategory
from shared.documents.appeals import BOARD_STATUTES, REVIEW_BOARDS, appeal_route, review_board
from shared.documents.formatting import DEPARTMENT_LABELS, fiscal_year_label, wareki, yen, yen_slip, yen_stated
from shared.documents.models import (
    Addressee,
    AnyDocument,
    AssetInquiry,
    ClaimLine,
    DebtorSummary,
    DemandNotice,
    Document,
    InstallmentPledge,
    Issuer,
    PaymentSlip,
    PaymentSlipDocument,
    Receipt,
    Reminder,
    WithheldAddressee,
)
from shared.documents.payment_codes import human_readable
from shared.documents.templates import Wording, wording

MINCHO = "IPAexMincho"
GOTHIC = "IPAexGothic"
FONT_FILES: dict[str, Path] = {
    MINCHO: Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"),
    GOTHIC: Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
}
FONT_PACKAGES = "fonts-ipaexfont-mincho and fonts-ipaexfont-gothic"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 12 * mm
MARGIN_BOTTOM = 16 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
#: 長3 window envelope (A4 folded in three): the window shows this area of the page's top third.
WINDOW = (20 * mm, 15 * mm, 90 * mm, 45 * mm)  # left, top, width, height
HEADER = (116 * mm, 15 * mm, PAGE_WIDTH - 116 * mm - MARGIN_X, 45 * mm)
BODY_TOP = 64 * mm
#: GS1-128 module width and height: 0.254 mm (10 mil) keeps the 44 digits within 75 mm and scans reliably.
BAR_MODULE = 0.254 * mm
BAR_HEIGHT = 12 * mm
QR_MODULE = 0.5 * mm
_WHITESPACE = frozenset(" \t\n\u3000")
_SHADE = colors.Color(0.9, 0.9, 0.9)
#: every table names its font: reportlab's default (Helvetica) would otherwise appear unembedded in the page resources
_TABLE_FONT = ("FONT", (0, 0), (-1, -1), GOTHIC, 8, 10.5)

Progress = Callable[[int, int], None]


class FontNotFoundError(FileNotFoundError):
    """An IPAex font file is missing: the message names the path and the packages to install."""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """A batch rendered: one combined PDF for the print shop (each document starting on a new page) and one PDF
    per document for the archive, both keyed and ordered as the input."""

    combined: bytes
    documents: dict[str, bytes]
    page_counts: dict[str, int]

    @property
    def total_pages(self) -> int:
        return sum(self.page_counts.values())


# --------------------------------------------------------------------------------------------------- fonts, styles


@cache
def _font_coverage() -> frozenset[int]:
    """Register the fonts once; returns the code points both fonts can print."""
    coverage: frozenset[int] | None = None
    for name, path in FONT_FILES.items():
        if not path.is_file():
            raise FontNotFoundError(f"font {name} not found at {path}: install the Debian packages {FONT_PACKAGES} "
                                    "(deploy/setup.sh installs them)")
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        chars = frozenset(font.face.charToGlyph)
        coverage = chars if coverage is None else coverage & chars
    assert coverage is not None
    return coverage


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    strong: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    cell: ParagraphStyle
    cell_right: ParagraphStyle
    address: ParagraphStyle
    kana: ParagraphStyle
    name: ParagraphStyle
    header: ParagraphStyle
    header_right: ParagraphStyle
    amount: ParagraphStyle


@cache
def _styles() -> _Styles:
    _font_coverage()
    body = ParagraphStyle("body", fontName=MINCHO, fontSize=10, leading=14.5, wordWrap="CJK", spaceAfter=1.5 * mm)
    cell = ParagraphStyle("cell", fontName=GOTHIC, fontSize=8, leading=10.5, wordWrap="CJK")
    header = ParagraphStyle("header", fontName=GOTHIC, fontSize=9, leading=13, wordWrap="CJK")
    return _Styles(
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=8.5, leading=12, spaceAfter=1 * mm),
        strong=ParagraphStyle("strong", parent=body, fontName=GOTHIC, fontSize=10.5),
        title=ParagraphStyle("title", fontName=GOTHIC, fontSize=17, leading=22, alignment=TA_CENTER,
                             spaceAfter=2 * mm),
        subtitle=ParagraphStyle("subtitle", fontName=GOTHIC, fontSize=10, leading=14, alignment=TA_CENTER,
                                spaceAfter=2 * mm),
        heading=ParagraphStyle("heading", fontName=GOTHIC, fontSize=10.5, leading=15, spaceBefore=1.5 * mm,
                               spaceAfter=1 * mm, wordWrap="CJK"),
        cell=cell,
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        address=ParagraphStyle("address", fontName=MINCHO, fontSize=10.5, leading=14, wordWrap="CJK"),
        kana=ParagraphStyle("kana", fontName=GOTHIC, fontSize=7.5, leading=10, wordWrap="CJK",
                            spaceBefore=1.5 * mm),
        name=ParagraphStyle("name", fontName=MINCHO, fontSize=14, leading=19, wordWrap="CJK"),
        header=header,
        header_right=ParagraphStyle("header_right", parent=header, alignment=TA_RIGHT),
        amount=ParagraphStyle("amount", fontName=GOTHIC, fontSize=12, leading=16, wordWrap="CJK"),
    )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, so names with & or < print as written."""
    return Paragraph(escape(text), style)


# ------------------------------------------------------------------------------------------------- page furniture


@dataclass
class _BuildState:
    """Which document each page belongs to, filled in while platypus lays the pages out."""

    starts: list[tuple[dict[str, str], int]] = field(default_factory=list)  # (footer values, first page)
    pages: int = 0
    progress: Callable[[], None] | None = None


class _DocumentStart(Flowable):
    """Zero-size marker at the top of each document: records its first page."""

    def __init__(self, state: _BuildState, footer: dict[str, str]) -> None:
        super().__init__()
        self._state, self._footer = state, footer

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self._state.starts.append((self._footer, self.canv.getPageNumber()))


class _DocumentEnd(Flowable):
    """Zero-size marker after each document's last flowable: reports progress."""

    def __init__(self, state: _BuildState) -> None:
        super().__init__()
        self._state = state

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        if self._state.progress is not None:
            self._state.progress()


class _CutLine(Flowable):
    """The dashed line above a payment slip, with its label in the middle."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self._label = label

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, 6 * mm

    def draw(self) -> None:
        canvas = self.canv
        label_width = pdfmetrics.stringWidth(self._label, GOTHIC, 7) + 4 * mm
        middle = self.width / 2
        canvas.setDash(2, 2)
        canvas.setLineWidth(0.4)
        canvas.line(0, 3 * mm, middle - label_width / 2, 3 * mm)
        canvas.line(middle + label_width / 2, 3 * mm, self.width, 3 * mm)
        canvas.setDash()
        canvas.setFont(GOTHIC, 7)
        canvas.drawCentredString(middle, 2.2 * mm, self._label)


QrMatrix = tuple[tuple[tuple[int, int], ...], ...]  # per row, the (first, past-last) columns of each dark run


def qr_matrix(text: str) -> QrMatrix:
    """The QR code of a text (error correction M, best mask) as runs of dark modules, the form _QrCode draws."""
    rows = []
    for row in segno.make_qr(text, error="m").matrix:
        runs, column, size = [], 0, len(row)
        while column < size:
            if row[column]:
                start = column
                while column < size and row[column]:
                    column += 1
                runs.append((start, column))
            column += 1
        rows.append(tuple(runs))
    return tuple(rows)


class _QrCode(Flowable):
    """A QR code drawn as vector rectangles, quiet zone included.

    The rectangles are written as one literal path in module units: formatting hundreds of coordinates through
    reportlab's float formatter was the largest single cost of a notice."""

    QUIET = 4

    def __init__(self, matrix: QrMatrix, module: float = QR_MODULE) -> None:
        super().__init__()
        self._matrix = matrix
        self._module = module
        self.width = self.height = (len(matrix) + 2 * self.QUIET) * module

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        size, quiet = len(self._matrix), self.QUIET
        rects = [f"{quiet + start} {size - 1 - index + quiet} {end - start} 1 re"
                 for index, runs in enumerate(self._matrix) for start, end in runs]
        canvas = self.canv
        canvas.saveState()
        canvas.scale(self._module, self._module)
        canvas.setFillColor(colors.black)
        canvas.addLiteral("\n".join(rects) + "\nf")
        canvas.restoreState()


class _Unsplittable(Flowable):
    """Flowables stacked as one block that is never split across pages (a payment slip is cut off whole)."""

    def __init__(self, content: list[Flowable]) -> None:
        super().__init__()
        self._content = content
        self._sizes: list[tuple[float, float]] = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self._sizes = [item.wrap(available_width, available_height) for item in self._content]
        self.width = max(width for width, _ in self._sizes)
        self.height = sum(height for _, height in self._sizes)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        return []

    def draw(self) -> None:
        y = self.height
        for item, (_, height) in zip(self._content, self._sizes, strict=True):
            y -= height
            item.drawOn(self.canv, 0, y)


def _gs1_128(data: str) -> Code128:
    """GS1-128: Code 128 with FNC1 (\\xf1 for reportlab) before the element string; the digits go in code set C."""
    return Code128("\xf1" + data, barWidth=BAR_MODULE, barHeight=BAR_HEIGHT, humanReadable=False)


def _on_page_end(canvas: Canvas, doc: BaseDocTemplate) -> None:
    state: _BuildState = doc.build_state
    page = canvas.getPageNumber()
    state.pages = max(state.pages, page)
    if not state.starts:
        return
    footer, first_page = state.starts[-1]
    canvas.saveState()
    canvas.setFont(GOTHIC, 7)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, 8 * mm,
                           wording("common").text("footer", page=page - first_page + 1, **footer))
    canvas.restoreState()


def _doc_template(buffer: io.BytesIO, state: _BuildState) -> BaseDocTemplate:
    def frame(frame_id: str, left: float, top: float, width: float, height: float) -> Frame:
        return Frame(left, PAGE_HEIGHT - top - height, width, height, id=frame_id, leftPadding=0, rightPadding=0,
                     topPadding=0, bottomPadding=0)

    body_first = frame("body", MARGIN_X, BODY_TOP, BODY_WIDTH, PAGE_HEIGHT - BODY_TOP - MARGIN_BOTTOM)
    body_later = frame("body", MARGIN_X, MARGIN_TOP, BODY_WIDTH, PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM)
    # invariant: the same document renders to the same bytes (an archived PDF can be re-rendered and compared);
    # initialFontName: no unembedded Helvetica in the page resources (print shops' preflight rejects it)
    doc = BaseDocTemplate(buffer, pagesize=A4, title="", author="", creator="shared.documents", subject="",
                          invariant=True, pageCompression=1, initialFontName=GOTHIC, initialFontSize=9)
    doc.addPageTemplates([
        PageTemplate("first", [frame("window", *WINDOW), frame("header", *HEADER), body_first],
                     onPageEnd=_on_page_end),
        PageTemplate("later", [body_later], onPageEnd=_on_page_end),
    ])
    doc.build_state = state
    return doc


# ------------------------------------------------------------------------------------------------ shared pieces


@dataclass(frozen=True)
class _Context:
    """What the document builders share: styles, the common wording, the document's own wording."""

    styles: _Styles
    common: Wording
    own: Wording
    qr_cache: dict[str, QrMatrix]

    def qr(self, text: str) -> QrMatrix:
        """A batch lays each document out twice (combined file, own file): the QR code is encoded once."""
        if text not in self.qr_cache:
            self.qr_cache[text] = qr_matrix(text)
        return self.qr_cache[text]

    def para(self, key: str, style: ParagraphStyle | None = None, **values: object) -> Paragraph:
        return _p(self.own.text(key, **values), style or self.styles.body)


def _window(addressee: Addressee | WithheldAddressee, styles: _Styles) -> list[Flowable]:
    """The envelope window: 〒, address, then the name with 様 (殿 for institutions); a person named without an
    address (a receipt handed over the counter) by the name alone."""
    if isinstance(addressee, WithheldAddressee):
        return [KeepInFrame(WINDOW[2], WINDOW[3], [Spacer(1, 8 * mm), *([_p(addressee.name_kana, styles.kana)]
                                                   if addressee.name_kana else []),
                                                   _p(f"{addressee.name}　様", styles.name)],
                            mode="shrink", vAlign="TOP")]
    content: list[Flowable] = [_p(f"〒{addressee.postal_code}", styles.address), _p(addressee.address, styles.address)]
    if addressee.name_kana:
        content.append(_p(addressee.name_kana, styles.kana))
    else:
        content.append(Spacer(1, 2 * mm))
    content.append(_p(f"{addressee.name}　{addressee.honorific}", styles.name))
    return [KeepInFrame(WINDOW[2], WINDOW[3], content, mode="shrink", vAlign="TOP")]


def _header(document: Document, styles: _Styles) -> list[Flowable]:
    """Number, date and the issuing authority; under it 公印省略, or beside it the seal's place, as the city set
    ``issuer.seal``."""
    issuer, common = document.issuer, wording("common")
    content: list[Flowable] = [
        _p(document.document_number, styles.header_right),
        _p(wareki(document.issued_on), styles.header_right),
        Spacer(1, 3 * mm),
    ]
    if issuer.seal == "impressed":
        seal = Table([[common.text("seal_place")]], colWidths=[12 * mm], rowHeights=[12 * mm])
        seal.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), GOTHIC, 8), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                                  ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TEXTCOLOR", (0, 0), (-1, -1), colors.grey),
                                  ("BOX", (0, 0), (-1, -1), 0.4, colors.grey)]))
        row = Table([[_p(issuer.authority, styles.header_right), seal]], colWidths=[HEADER[2] - 14 * mm, 14 * mm])
        row.setStyle(TableStyle([_TABLE_FONT, ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        content.append(row)
    else:
        content += [_p(issuer.authority, styles.header_right), _p(common.text("seal_omitted"), styles.header_right)]
    content += [_p(f"（担当）{issuer.office}", styles.header_right), _p(f"電話 {issuer.phone}", styles.header_right)]
    return [KeepInFrame(HEADER[2], HEADER[3], content, mode="shrink", vAlign="TOP")]


def _table_style(header_rows: int = 1, total_row: bool = False) -> TableStyle:
    commands: list[tuple] = [
        _TABLE_FONT,
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header_rows:
        commands += [("BACKGROUND", (0, 0), (-1, header_rows - 1), _SHADE),
                     ("ALIGN", (0, 0), (-1, header_rows - 1), "CENTER")]
    if total_row:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), colors.Color(0.95, 0.95, 0.95)))
    return TableStyle(commands)


def _claims_table(claims: Sequence[ClaimLine], ctx: _Context) -> Table:
    """Every claim: department, receivable, 年度・期別, 納期限, 本税・本料, 延滞金等, 合計, with a total row."""
    t, s = ctx.common.text, ctx.styles
    rows: list[list[object]] = [[t("col_department"), t("col_receivable"), t("col_period"), t("col_due_date"),
                                 t("col_principal"), t("col_late_charge"), t("col_total")]]
    for claim in claims:
        rows.append([DEPARTMENT_LABELS[claim.department], _p(claim.receivable, s.cell),
                     _p(f"{fiscal_year_label(claim.fiscal_year)} {claim.installment}", s.cell),
                     wareki(claim.due_date), yen(claim.principal), yen(claim.charges), yen(claim.total)])
    rows.append([t("row_total"), "", "", "", yen(sum(c.principal for c in claims)),
                 yen(sum(c.charges for c in claims)), yen(sum(c.total for c in claims))])
    widths = [15 * mm, 35 * mm, 26 * mm, 27 * mm, 24 * mm, 21 * mm, 24 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = _table_style(total_row=True)
    style.add("ALIGN", (3, 1), (-1, -1), "RIGHT")
    style.add("SPAN", (0, -1), (3, -1))
    style.add("ALIGN", (0, -1), (0, -1), "CENTER")
    table.setStyle(style)
    return table


def _department_table(totals: dict, counts: dict, ctx: _Context) -> Table:
    """Per-department subtotals (the unified reminder's and the consultation summary's 所管別の内訳)."""
    t = ctx.common.text
    rows: list[list[object]] = [[t("col_department"), t("col_count"), t("col_principal"), t("col_late_charge"),
                                 t("col_total")]]
    for department, (principal, late) in totals.items():
        rows.append([DEPARTMENT_LABELS[department], f"{counts[department]}件", yen(principal), yen(late),
                     yen(principal + late)])
    principal_sum = sum(p for p, _ in totals.values())
    late_sum = sum(late for _, late in totals.values())
    rows.append([t("row_total"), f"{sum(counts.values())}件", yen(principal_sum), yen(late_sum),
                 yen(principal_sum + late_sum)])
    table = Table(rows, colWidths=[30 * mm, 18 * mm, 34 * mm, 30 * mm, 34 * mm], hAlign="LEFT")
    style = _table_style(total_row=True)
    style.add("ALIGN", (1, 1), (-1, -1), "RIGHT")
    table.setStyle(style)
    return table


def _counts(claims: Iterable[ClaimLine]) -> dict:
    counts: dict = {}
    for claim in claims:
        counts[claim.department] = counts.get(claim.department, 0) + 1
    return counts


def _contact(issuer: Issuer, ctx: _Context, with_account: bool = True) -> list[Flowable]:
    t, s = ctx.common.text, ctx.styles
    lines = [t("contact", city_name=issuer.city_name, office=issuer.office, phone=issuer.phone)]
    if issuer.hours:
        lines[0] += "　" + t("contact_hours", hours=issuer.hours)
    if issuer.office_address:
        lines.append(t("contact_address", office_address=issuer.office_address))
    if with_account:
        lines.append(t("payment_account", payment_account=issuer.payment_account))
    table = Table([[_p(line, s.cell)] for line in lines], colWidths=[BODY_WIDTH])
    table.setStyle(TableStyle([_TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
    return [KeepTogether([Spacer(1, 2 * mm), table])]


def _late_charge_note(as_of: date, ctx: _Context) -> Paragraph:
    return _p(ctx.common.text("late_charge_note", as_of=wareki(as_of)), ctx.styles.small)


def _items_summary(claims: Sequence[ClaimLine]) -> str:
    first = claims[0]
    text = f"{first.receivable}（{fiscal_year_label(first.fiscal_year)} {first.installment}）"
    return text if len(claims) == 1 else f"{text} ほか{len(claims) - 1}件"


def _slip(slip: PaymentSlip, addressee: Addressee, issuer: Issuer, claims: Sequence[ClaimLine],
          ctx: _Context) -> Flowable:
    """The 納付書 at the foot of a notice: details, the GS1-128 barcode (when the amount fits) and the QR code."""
    w, styles = wording("payment_slip"), ctx.styles
    label = ParagraphStyle("slip_label", parent=styles.cell, alignment=TA_CENTER)
    details = Table([
        [_p(w.text("reference"), label), _p(slip.claim_reference, styles.cell)],
        [_p(w.text("payer"), label), _p(f"{addressee.name}　{addressee.honorific}", styles.cell)],
        [_p(w.text("items"), label), _p(_items_summary(claims), styles.cell)],
        [_p(w.text("amount"), label), _p(yen_slip(slip.amount), styles.amount)],
        [_p(w.text("due_date"), label), _p(wareki(slip.due_date), styles.cell)],
    ], colWidths=[20 * mm, 82 * mm])
    details.setStyle(TableStyle([_TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                                 ("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    left: list[Flowable] = [details, Spacer(1, 2 * mm)]
    code = slip.barcode_data
    if code is not None:
        left += [_gs1_128(code), _p(human_readable(code), ParagraphStyle("digits", parent=styles.cell, fontSize=7)),
                 _p(w.text("barcode"), styles.cell)]
    else:
        left.append(_p(w.text("no_barcode"), ParagraphStyle("warn", parent=styles.cell, fontSize=9, leading=12)))
    right: list[Flowable] = [_QrCode(ctx.qr(slip.qr_text(issuer))), _p(w.text("qr"), label), Spacer(1, 2 * mm),
                             _p(w.text("receiver", city_name=issuer.city_name), styles.cell)]
    body = Table([[_p(w.text("slip_title", city_name=issuer.city_name), styles.strong), ""], [left, right]],
                 colWidths=[108 * mm, BODY_WIDTH - 108 * mm])
    body.setStyle(TableStyle([_TABLE_FONT, ("BOX", (0, 0), (-1, -1), 0.8, colors.black), ("SPAN", (0, 0), (1, 0)),
                              ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 1), (1, 1), "CENTER")]))
    # at the foot of the page (TopPadder), where the perforation of 納付書 stock is
    return TopPadder(_Unsplittable([Spacer(1, 1 * mm), _CutLine(w.text("cut_line")), body]))


# ------------------------------------------------------------------------------------------------- document kinds


def _demand_notice(doc: DemandNotice, ctx: _Context) -> list[Flowable]:
    claim, issuer, s = doc.claim, doc.issuer, ctx.styles
    category = claim.legal_category
    basis = "basis.tax" if claim.is_tax else ("basis.public" if claim.is_public else "basis.private")
    flow: list[Flowable] = [
        _p(ctx.own.title(), s.title),
        ctx.para("intro", receivable=claim.receivable, fiscal_year=fiscal_year_label(claim.fiscal_year),
                 installment=claim.installment, due_date=wareki(claim.due_date), basis=ctx.own.text(basis)),
        ctx.para("pay_by", s.strong, pay_by=wareki(doc.pay_by)),
        ctx.para("amount", s.strong, amount=yen_stated(doc.slip.amount)),
        _claims_table((claim,), ctx), Spacer(1, 2 * mm),
        ctx.para(f"late_charge.{category}", s.small, city_name=issuer.city_name),
    ]
    consequence = "consequence.forced_public" if category is LegalCategory.FORCED_PUBLIC else "consequence.other"
    flow.append(ctx.para(consequence, s.small, pay_by=wareki(doc.pay_by)))
    route = appeal_route(claim)
    authority = f"{issuer.city_name}長"
    if route in REVIEW_BOARDS:
        request, prior = BOARD_STATUTES[route]
        flow.append(ctx.para("appeal.board", s.small, review_board=review_board(route, issuer.prefecture),
                             statute_request=request, statute_prior=prior, review_authority=authority,
                             city_name=issuer.city_name))
    else:
        flow.append(ctx.para(f"appeal.{route.value}", s.small, review_authority=authority,
                             city_name=issuer.city_name))
    flow += [ctx.para("consult", s.small), ctx.para("crossed", s.small), *_contact(issuer, ctx),
             _slip(doc.slip, doc.addressee, issuer, (claim,), ctx)]
    return flow


def _reminder(doc: Reminder, ctx: _Context) -> list[Flowable]:
    """The intro says only what preceded the reminder for every claim (``doc.history``; unknown: nothing), a 再催告
    is titled so only after an earlier 催告, and a final reminder announces per legal category what follows
    (appeals.final_consequences): the 差押予告 title only when every claim is forced and was demanded."""
    s, issuer = ctx.styles, doc.issuer
    reply_by = wareki(doc.reply_by)
    history = doc.history or "none"
    consequences = doc.consequences if doc.severity == "final" else []
    title = doc.severity
    if doc.severity == "final" and consequences == ["seizure"]:
        title = "final_seizure"
    elif doc.severity == "second" and history not in ("reminder", "demand_notice_and_reminder"):
        title = "first"  # no earlier 催告 on record: not a 再催告
    flow: list[Flowable] = [_p(ctx.own.title(title), s.title)]
    if doc.unified:
        flow.append(ctx.para("unified_subtitle", s.subtitle))
    if doc.unified:
        flow.append(ctx.para("unified", city_name=issuer.city_name))
    flow.append(ctx.para(f"intro.{doc.severity}.{history}", as_of=wareki(doc.issued_on), reply_by=reply_by))
    mixed = len(consequences) > 1
    for consequence in consequences:
        text = ctx.own.text(f"final.{consequence}", reply_by=reply_by)
        if mixed:
            forced = consequence.startswith("seizure")
            listed = [c.receivable for c in doc.claims if (c.legal_category is LegalCategory.FORCED_PUBLIC) == forced]
            scope = ctx.own.text("final.scope.forced" if forced else "final.scope.other",
                                 receivables="・".join(dict.fromkeys(listed)))
            text = f"{scope}：{text}"
        flow.append(_p(text, s.strong))
    flow += [ctx.para("reply_by", s.strong, reply_by=reply_by),
             ctx.para("total", s.strong, amount=yen_stated(doc.total))]
    if doc.unified and len(doc.department_totals) > 1:
        flow += [_p(ctx.common.text("heading_departments"), s.heading),
                 _department_table(doc.department_totals, _counts(doc.claims), ctx)]
    flow += [_p(ctx.common.text("heading_claims"), s.heading), _claims_table(doc.claims, ctx),
             Spacer(1, 1 * mm), _late_charge_note(doc.issued_on, ctx),
             ctx.para("consult", s.small, reply_by=reply_by), ctx.para("crossed", s.small), *_contact(issuer, ctx)]
    if doc.slip is not None:
        flow.append(_slip(doc.slip, doc.addressee, issuer, doc.claims, ctx))
    return flow


def _installment_pledge(doc: InstallmentPledge, ctx: _Context) -> list[Flowable]:
    s, own = ctx.styles, ctx.own
    flow: list[Flowable] = [
        _p(own.title(), s.title), Spacer(1, 2 * mm),
        ctx.para("addressed_to", s.strong, authority=doc.issuer.authority),
        ctx.para("intro", city_name=doc.issuer.city_name, amount=yen_stated(doc.total)),
        _claims_table(doc.claims, ctx),
        _p(own.text("heading_schedule"), s.heading),
    ]
    rows: list[list[object]] = [[own.text("col_number"), own.text("col_due_date"), own.text("col_amount")]]
    rows += [[f"第{row.number}回", wareki(row.due_date), yen(row.amount)] for row in doc.schedule]
    rows.append([ctx.common.text("row_total"), "", yen(sum(row.amount for row in doc.schedule))])
    schedule = Table(rows, colWidths=[20 * mm, 40 * mm, 34 * mm], hAlign="LEFT", repeatRows=1)
    style = _table_style(total_row=True)
    style.add("ALIGN", (2, 1), (2, -1), "RIGHT")
    style.add("SPAN", (0, -1), (1, -1))
    schedule.setStyle(style)
    flow += [schedule, _p(own.text("heading_clauses"), s.heading)]
    clauses = ["clause.schedule", "clause.acceleration"]
    clauses += ["clause.forced"] if doc.has_forced else []
    clauses += ["clause.court"] if doc.has_court_claims else []
    clauses += ["clause.late_charge", "clause.changes", "clause.no_release"]
    for number, key in enumerate(clauses, start=1):
        flow.append(_p(f"{number}　{own.text(key, as_of=wareki(doc.issued_on))}", s.small))
    seal = Table([[own.text("sign_seal")]], colWidths=[14 * mm], rowHeights=[14 * mm])
    seal.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), GOTHIC, 9), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TEXTCOLOR", (0, 0), (-1, -1), colors.grey)]))
    signature = Table([
        [own.text("sign_date"), own.text("sign_date_blank"), ""],
        [own.text("sign_address"), "", ""],
        [own.text("sign_name"), "", seal],
        [own.text("sign_phone"), doc.pledger_phone or "", ""],
    ], colWidths=[28 * mm, BODY_WIDTH - 28 * mm - 20 * mm, 20 * mm], rowHeights=[9 * mm, 13 * mm, 16 * mm, 9 * mm])
    sign_style = _table_style(header_rows=0)
    sign_style.add("BACKGROUND", (0, 0), (0, -1), _SHADE)
    sign_style.add("SPAN", (1, 0), (2, 0))
    sign_style.add("SPAN", (1, 1), (2, 1))
    sign_style.add("SPAN", (1, 3), (2, 3))
    sign_style.add("ALIGN", (2, 2), (2, 2), "CENTER")
    signature.setStyle(sign_style)
    flow.append(KeepTogether([_p(own.text("heading_signature"), s.heading), signature]))
    return flow


def _payment_slip(doc: PaymentSlipDocument, ctx: _Context) -> list[Flowable]:
    s = ctx.styles
    return [_p(ctx.own.title(), s.title), Spacer(1, 2 * mm),
            ctx.para("intro", due_date=wareki(doc.slip.due_date)), _claims_table(doc.claims, ctx),
            Spacer(1, 1 * mm), _late_charge_note(doc.issued_on, ctx), *_contact(doc.issuer, ctx),
            _slip(doc.slip, doc.addressee, doc.issuer, doc.claims, ctx)]


def _asset_inquiry(doc: AssetInquiry, ctx: _Context) -> list[Flowable]:
    s, own = ctx.styles, ctx.own
    receivables = "・".join(dict.fromkeys(claim.receivable for claim in doc.claims))
    flow: list[Flowable] = [
        _p(own.title(doc.inquiry), s.title), Spacer(1, 2 * mm),
        ctx.para("intro", city_name=doc.issuer.city_name, receivables=receivables, basis=own.text("basis"),
                 reply_by=wareki(doc.reply_by)),
        _p(own.text("heading_subject"), s.heading),
    ]
    subject = doc.subject
    where = (f"〒{subject.postal_code}　{subject.address}" if isinstance(subject, Addressee)
             else own.text("subject_address_withheld"))
    rows = [[own.text("subject_address"), _p(where, s.cell)],
            [own.text("subject_kana"), _p(subject.name_kana or "", s.cell)],
            [own.text("subject_name"), _p(subject.name, s.cell)]]
    if doc.subject_birth_date is not None:
        rows.append([own.text("subject_birth_date"), wareki(doc.subject_birth_date)])
    table = Table(rows, colWidths=[28 * mm, BODY_WIDTH - 28 * mm])
    style = _table_style(header_rows=0)
    style.add("BACKGROUND", (0, 0), (0, -1), _SHADE)
    table.setStyle(style)
    flow += [table, _p(own.text("heading_claims"), s.heading), _claims_table(doc.claims, ctx),
             _p(own.text("heading_items"), s.heading)]
    history = (own.text("history_from", date=wareki(doc.history_from)) if doc.history_from
               else own.text("history_recent"))
    for number, item in enumerate(own.lines(f"item.{doc.inquiry}", history=history), start=1):
        flow.append(_p(f"{number}　{item}", s.small))
    answer = [own.lines(f"answer_columns.{doc.inquiry}")] + [[""] * 4 for _ in range(3)]
    answer.append([own.text("answer_by"), "", "", ""])
    answer_table = Table(answer, colWidths=[BODY_WIDTH / 4] * 4, rowHeights=[6 * mm] + [9 * mm] * 3 + [14 * mm])
    answer_style = _table_style()
    answer_style.add("SPAN", (0, -1), (-1, -1))
    answer_style.add("VALIGN", (0, -1), (-1, -1), "TOP")
    answer_table.setStyle(answer_style)
    flow += [KeepTogether([_p(own.text("heading_answer"), s.heading), answer_table]), Spacer(1, 2 * mm),
             _p(own.text("privacy"), s.small), *_contact(doc.issuer, ctx, with_account=False)]
    return flow


def _debtor_summary(doc: DebtorSummary, ctx: _Context) -> list[Flowable]:
    s, own = ctx.styles, ctx.own
    flow: list[Flowable] = [
        _p(own.text("confidential"), s.header_right), _p(own.title(), s.title), Spacer(1, 1 * mm),
        ctx.para("intro", as_of=wareki(doc.issued_on), city_name=doc.issuer.city_name),
        ctx.para("total", s.strong, amount=yen_stated(doc.total)),
        _p(ctx.common.text("heading_departments"), s.heading),
        _department_table(doc.department_totals, _counts(doc.claims), ctx),
        _p(ctx.common.text("heading_claims"), s.heading), _claims_table(doc.claims, ctx),
        _p(own.text("heading_plan"), s.heading),
    ]
    flow += [_p(f"・{line}", s.small) for line in doc.plan_status] or [_p(own.text("none"), s.small)]
    flow.append(_p(own.text("heading_contacts"), s.heading))
    if doc.contacts:
        rows: list[list[object]] = [[own.text("col_date"), own.text("col_text")]]
        rows += [[wareki(entry.on), _p(entry.text, s.cell)] for entry in doc.contacts]
        contacts = Table(rows, colWidths=[30 * mm, BODY_WIDTH - 30 * mm], repeatRows=1)
        contacts.setStyle(_table_style())
        flow.append(contacts)
    else:
        flow.append(_p(own.text("none"), s.small))
    return flow + _contact(doc.issuer, ctx, with_account=False)


def _receipt(doc: Receipt, ctx: _Context) -> list[Flowable]:
    """領収証書: the amount (¥ and 金…円), the date received, the window's receipt number, the split per department."""
    s, own = ctx.styles, ctx.own
    amount = ParagraphStyle("receipt_amount", parent=s.title, fontSize=16, leading=22)
    flow: list[Flowable] = [
        _p(own.title("reissued" if doc.reissued else ""), s.title), Spacer(1, 2 * mm),
        _p(own.text("amount", amount=f"¥{doc.amount:,}-"), amount),
        ctx.para("stated", stated=yen_stated(doc.amount)),
        ctx.para("intro", paid_on=wareki(doc.paid_on)),
    ]
    facts = Table([[own.text("receipt_id"), doc.receipt_id], [own.text("paid_on"), wareki(doc.paid_on)],
                   [own.text("payer"), _p(f"{doc.payer.name}　様", s.cell)]],
                  colWidths=[30 * mm, BODY_WIDTH - 30 * mm])
    style = _table_style(header_rows=0)
    style.add("BACKGROUND", (0, 0), (0, -1), _SHADE)
    facts.setStyle(style)
    named = any(part.claim for part in doc.parts)  # the payer named claims: each such part says which
    rows: list[list[object]] = [[own.text("col_department"), own.text("col_amount")]]
    rows += [[_p(f"{DEPARTMENT_LABELS[part.department]}（{part.claim}）", s.cell) if part.claim
              else DEPARTMENT_LABELS[part.department], yen(part.amount)] for part in doc.parts]
    if doc.overpayment:
        rows.append([own.text("overpayment"), yen(doc.overpayment)])
    rows.append([own.text("row_total"), yen(doc.amount)])
    parts = Table(rows, colWidths=[110 * mm if named else 60 * mm, 40 * mm], hAlign="LEFT")
    parts_style = _table_style(total_row=True)
    parts_style.add("ALIGN", (1, 1), (1, -1), "RIGHT")
    parts.setStyle(parts_style)
    flow += [facts, _p(own.text("heading_parts"), s.heading), parts, Spacer(1, 3 * mm)]
    if named:
        flow.append(_p(own.text("designated_note"), s.small))
    if doc.reissued:
        original = doc.document_number.rsplit("-再", 1)[0]
        flow.append(ctx.para("reissued", s.strong, original=original))
    flow += [ctx.para("receiver", city_name=doc.issuer.city_name, office=doc.issuer.office,
                      received_by=doc.received_by),
             _p(own.text("note"), s.small), *_contact(doc.issuer, ctx, with_account=False)]
    return flow


_BUILDERS: dict[type, tuple[Callable[[Document], Addressee | WithheldAddressee], Callable]] = {
    DemandNotice: (lambda d: d.addressee, _demand_notice),
    Reminder: (lambda d: d.addressee, _reminder),
    InstallmentPledge: (lambda d: d.pledger, _installment_pledge),
    PaymentSlipDocument: (lambda d: d.addressee, _payment_slip),
    AssetInquiry: (lambda d: d.institution, _asset_inquiry),
    DebtorSummary: (lambda d: d.addressee, _debtor_summary),
    Receipt: (lambda d: d.payer, _receipt),
}


# ------------------------------------------------------------------------------------------------------ checks


def _check_outsourcing(document: Document) -> None:
    """An outsourced firm may see neither taxes (地方税法第22条) nor 強制徴収公債権 (滞納処分 is the city's own)."""
    if not document.for_outsourced_firm:
        return
    claims = document.all_claims
    for index, claim in enumerate(claims):
        name = "claim" if document.claims_field == "claim" else f"claims[{index}]"
        if claim.is_tax:
            raise ValueError(f"{name}: a tax claim (department {claim.department}) cannot be printed on a document "
                             "for an outsourced firm (for_outsourced_firm=True): 地方税法第22条 secrecy")
        if claim.legal_category is LegalCategory.FORCED_PUBLIC:
            raise ValueError(f"{name}: legal_category forced_public (強制徴収公債権) cannot be printed on a document "
                             "for an outsourced firm (for_outsourced_firm=True): the city collects these itself")


def _unprintable(value: object, path: str, coverage: frozenset[int]) -> tuple[str, str] | None:
    if isinstance(value, str):
        for char in value:
            if ord(char) not in coverage and char not in _WHITESPACE:
                return path, f"U+{ord(char):04X}"
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found = _unprintable(getattr(value, name), f"{path}.{name}" if path else name, coverage)
            if found:
                return found
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            found = _unprintable(item, f"{path}[{index}]", coverage)
            if found:
                return found
    return None


def _check(document: Document) -> None:
    if type(document) not in _BUILDERS:
        raise TypeError(f"cannot render {type(document).__name__}: not a document kind of shared.documents")
    _check_outsourcing(document)
    found = _unprintable(document, "", _font_coverage())
    if found:
        raise ValueError(f"{found[0]}: character {found[1]} is not in the IPAex fonts; replace the 外字 with its "
                         "standard form before printing")


# ------------------------------------------------------------------------------------------------------ build


def _story(document: Document, state: _BuildState, qr_cache: dict[str, QrMatrix]) -> list[Flowable]:
    addressee_of, build = _BUILDERS[type(document)]
    own = wording(document.kind)
    ctx = _Context(styles=_styles(), common=wording("common"), own=own, qr_cache=qr_cache)
    footer = {"document_number": document.document_number, "kind": document.kind, "version": own.version}
    return [_DocumentStart(state, footer), NextPageTemplate("later"),
            *_window(addressee_of(document), ctx.styles), FrameBreak(), *_header(document, ctx.styles), FrameBreak(),
            *build(document, ctx), _DocumentEnd(state)]


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write streams zlib-compressed only, without reportlab's default ASCII85 layer (a quarter larger, slower to
    write). reportlab reads this from a module-level setting, so it is set for the build and restored after."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _build(documents: Sequence[Document], progress: Callable[[], None] | None = None,
           qr_cache: dict[str, QrMatrix] | None = None) -> tuple[bytes, list[int]]:
    """Lay out documents into one PDF; returns it and each document's page count."""
    state = _BuildState(progress=progress)
    qr_cache = {} if qr_cache is None else qr_cache
    story: list[Flowable] = []
    for index, document in enumerate(documents):
        if index:
            story += [NextPageTemplate("first"), PageBreak()]
        story += _story(document, state, qr_cache)
    buffer = io.BytesIO()
    with _binary_streams():
        _doc_template(buffer, state).build(story)
    firsts = [first for _, first in state.starts] + [state.pages + 1]
    return buffer.getvalue(), [after - first for first, after in zip(firsts, firsts[1:], strict=False)]


def render_pdf(document: AnyDocument) -> bytes:
    """One document as an A4 PDF; raises ValueError (naming the field) for a document that must not be printed."""
    _check(document)
    return _build([document])[0]


def render_counted(document: AnyDocument) -> tuple[bytes, int]:
    """``render_pdf`` and the number of pages, for callers that record it."""
    _check(document)
    content, counts = _build([document])
    return content, counts[0]


def render_batch(documents: Iterable[AnyDocument], progress: Progress | None = None) -> BatchResult:
    """Render many documents: one combined PDF, and one PDF per document keyed by document number.

    Every document is checked before any is rendered, so a refused one stops the batch before paper is wasted (the
    message starts with ``documents[i].``). ``progress(done, total)`` counts layout steps: each document is laid out
    twice (into the combined file, then into its own), so ``total`` is twice the number of documents."""
    documents = list(documents)
    if not documents:
        raise ValueError("documents: a batch needs at least one document")
    seen: dict[str, int] = {}
    for index, document in enumerate(documents):
        try:
            _check(document)
        except ValueError as error:
            raise ValueError(f"documents[{index}].{error}") from None
        number = document.document_number
        if number in seen:
            raise ValueError(f"documents[{index}].document_number duplicates documents[{seen[number]}]")
        seen[number] = index
    total, done = 2 * len(documents), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    qr_cache: dict[str, QrMatrix] = {}
    combined, counts = _build(documents, tick, qr_cache)
    separate = {}
    for document in documents:
        separate[document.document_number] = _build([document], tick, qr_cache)[0]
    return BatchResult(combined=combined, documents=separate,
                       page_counts={d.document_number: n for d, n in zip(documents, counts, strict=True)})
