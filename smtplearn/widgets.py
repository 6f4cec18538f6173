"""Jupyter widgets over smtplearn: compare two codes, take a quiz, explain a reply, browse the catalog.

Thin ipywidgets 8 views: every decision is made by the pure core (``compare``, ``Quiz``,
``explain``, the catalog); these classes only wire standard controls to it, so they work by
keyboard in JupyterLab 4 and Notebook 7.  Feedback is written into widget values, never
printed, and every handler catches its own errors and shows them in the widget: JupyterLab
sends callback output to the log console and swallows exceptions raised in click handlers.

The controls are public attributes with stable names (``w.first``, ``w.choices``,
``w.submit`` ...) so notebooks and tests can drive a widget the way a student would, and key
elements carry stable CSS classes (``smtplearn-…``) for browser tests.  ``repr()`` of every
widget is deterministic (no model ids), so notebook outputs compare cleanly.
"""

from __future__ import annotations

import html
import re

import ipywidgets as widgets

from smtplearn import codes, render
from smtplearn import data as _data
from smtplearn.errors import InvalidCodeError, QuizError, SmtplearnError
from smtplearn.quiz import Quiz

__all__ = ["CompareWidget", "QuizWidget", "ExplainWidget", "CatalogBrowser"]

_WIDE_LABEL = {"description_width": "initial"}


def _label(key: str, **values) -> str:
    text = _data.load("quiz")["widget"][key]
    return text.format(**values) if values else text


def _message_html(text: str, tone: str, css_class: str, detail: str = "") -> str:
    """A short message whose words carry the verdict and whose border colour repeats it.

    ``tone`` is a key of render.CLASS_COLOURS (JupyterLab theme variables)."""
    body = f"<div>{html.escape(text)}</div>"
    if detail:
        body += f'<div style="margin-top: 0.3em;">{_inline_code(detail)}</div>'
    return (f'<div class="{css_class} smtplearn-{tone}" role="status" aria-live="polite" '
            f'style="border-left: 6px solid {render.CLASS_COLOURS[tone]}; padding: 0.3em 0.7em; '
            f'margin: 0.3em 0; color: var(--jp-content-font-color1, inherit);">{body}</div>')


def _error_html(error: BaseException, key: str = "error") -> str:
    return _message_html(_label(key, error=_error_text(error)), "permanent", "smtplearn-error")


def _error_text(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    if isinstance(error, KeyError):  # str(KeyError) adds quotes
        text = f"{type(error).__name__}: {text}"
    return text


def _inline_code(text: str) -> str:
    """Escape text and show `backticked` parts (reply lines in prompts) as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _show(widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


class _Guarded:
    """Runs a handler so that any failure ends up as a message in the widget, never lost."""

    def _run(self, handler, *args):
        try:
            handler(*args)
        except Exception as error:  # noqa: BLE001 - shown to the user, see module docstring
            self._show_error(error)

    def _show_error(self, error: BaseException) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# CompareWidget

def _code_options(classes) -> list[tuple[str, int]]:
    wanted = None
    if classes is not None:
        wanted = {int(str(item).strip().lower().removesuffix("xx")) for item in
                  (str(classes).split(",") if isinstance(classes, (int, str)) else classes)}
        if not wanted <= {2, 3, 4, 5}:
            raise InvalidCodeError(f"classes={classes!r}: use the first digits 2, 3, 4 and 5, "
                                   f"e.g. classes=(4, 5)")
    return [(f"{code.code} — {code.title}", code.code) for code in codes.basic_codes()
            if wanted is None or code.reply_class.value in wanted]


def _pick(code, options, side: str) -> int:
    entry = codes.lookup(code)
    if not isinstance(entry, codes.ReplyCode):
        raise InvalidCodeError(f"{side}={code!r}: the dropdowns list basic three-digit codes "
                               f"such as 211 or 504; compare enhanced codes with compare()")
    if entry.code not in {value for _, value in options}:
        offered = sorted({value // 100 for _, value in options})
        raise InvalidCodeError(
            f"{side}={code!r} is not offered: the dropdowns list only the classes "
            f"{', '.join(f'{d}xx' for d in offered)}; pick a code of those classes or widen classes")
    return entry.code


class CompareWidget(widgets.VBox, _Guarded):
    """Two labelled dropdowns of codes, a swap button, and their ``Comparison`` below.

    Attributes: ``first``, ``second`` (Dropdowns whose values are codes), ``swap`` (Button),
    ``output`` (HTML with the rendered comparison), ``comparison`` (the latest Comparison).
    """

    def __init__(self, a=211, b=504, classes=None, **kwargs):
        options = _code_options(classes)
        self.comparison = None
        self.error = ""
        self.first = widgets.Dropdown(options=options, value=_pick(a, options, "a"),
                                      description=_label("first"), style=_WIDE_LABEL,
                                      layout=widgets.Layout(width="26em"))
        self.second = widgets.Dropdown(options=options, value=_pick(b, options, "b"),
                                       description=_label("second"), style=_WIDE_LABEL,
                                       layout=widgets.Layout(width="26em"))
        self.swap = widgets.Button(description=_label("swap"), tooltip=_label("swap_tooltip"),
                                   icon="exchange")
        self.output = widgets.HTML()
        self._swapping = False
        for name, widget in (("first", self.first), ("second", self.second),
                             ("swap", self.swap), ("output", self.output)):
            widget.add_class(f"smtplearn-compare-{name}")
        self.first.observe(self._on_change, names="value")
        self.second.observe(self._on_change, names="value")
        self.swap.on_click(lambda _button: self._run(self._swap))
        bar = widgets.HBox([self.first, self.swap, self.second],
                           layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__(children=[bar, self.output], **kwargs)
        self.add_class("smtplearn-compare")
        self._run(self._update)

    def _on_change(self, _change) -> None:
        if not self._swapping:
            self._run(self._update)

    def _swap(self) -> None:
        self._swapping = True
        try:
            self.first.value, self.second.value = self.second.value, self.first.value
        finally:
            self._swapping = False
        self._update()

    def _update(self) -> None:
        from smtplearn.comparison import compare

        self.comparison = None
        self.comparison = compare(self.first.value, self.second.value)
        self.output.value = self.comparison._repr_html_()
        self.error = ""

    def _show_error(self, error: BaseException) -> None:
        self.comparison = None
        self.error = _error_text(error)
        self.output.value = _error_html(error)

    @property
    def headline(self) -> str:
        """The comparison's one-line summary ('' while it could not be made)."""
        return self.comparison.headline if self.comparison is not None else ""

    def __repr__(self) -> str:
        return f"CompareWidget({self.first.value} vs {self.second.value})"


# ---------------------------------------------------------------------------
# QuizWidget

class QuizWidget(widgets.VBox, _Guarded):
    """A quiz round: the question, its choices, submit, feedback, next, progress and score,
    then a summary with a 'new round' button.  Earlier rounds stay in ``quiz.history``.

    Attributes: ``quiz`` (the current round), ``heading``, ``prompt`` (HTML), ``choices``
    (RadioButtons), ``submit``, ``skip``, ``next``, ``new_round`` (Buttons), ``feedback``,
    ``score``, ``summary`` (HTML), ``progress`` (IntProgress).
    """

    def __init__(self, quiz: Quiz, mode: str | None = None, **kwargs):
        if not isinstance(quiz, Quiz):
            raise QuizError(f"QuizWidget needs a smtplearn Quiz, such as "
                            f"QuizWidget(Quiz.classes(seed=1)); got {type(quiz).__name__}")
        if mode is not None:
            quiz.mode = mode  # a QuizError if the round has already started in another mode
        self.quiz = quiz
        self.heading = widgets.HTML()
        self.prompt = widgets.HTML()
        self.choices = widgets.RadioButtons(options=[], value=None, description=_label("choices"),
                                            style=_WIDE_LABEL,
                                            layout=widgets.Layout(width="auto"))
        self.submit = widgets.Button(description=_label("submit"), button_style="primary")
        self.skip = widgets.Button(description=_label("skip"), tooltip=_label("skip_tooltip"))
        self.next = widgets.Button(description=_label("next"))
        self.feedback = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=quiz.total, value=0,
                                            description=_label("progress"), style=_WIDE_LABEL)
        self.score = widgets.HTML()
        self.summary = widgets.HTML()
        self.new_round = widgets.Button(description=_label("new_round"),
                                        tooltip=_label("new_round_tooltip"), icon="refresh")
        parts = {"heading": self.heading, "prompt": self.prompt, "choices": self.choices,
                 "submit": self.submit, "skip": self.skip, "next": self.next,
                 "feedback": self.feedback, "progress": self.progress, "score": self.score,
                 "summary": self.summary, "new-round": self.new_round}
        for name, widget in parts.items():
            widget.add_class(f"smtplearn-quiz-{name}")
        self.submit.on_click(lambda _button: self._run(self._submit))
        self.skip.on_click(lambda _button: self._run(self._skip))
        self.next.on_click(lambda _button: self._run(self._next))
        self.new_round.on_click(lambda _button: self._run(self._new_round))
        self._buttons = widgets.HBox([self.submit, self.skip, self.next])
        super().__init__(children=[
            self.heading, self.prompt, self.choices, self._buttons, self.feedback,
            widgets.HBox([self.progress, self.score]), self.summary, self.new_round], **kwargs)
        self.add_class("smtplearn-quiz")
        self._run(self._render)

    @property
    def mode(self) -> str:
        return self.quiz.mode

    def results(self):
        """Every round's results (earlier rounds included), as a pandas DataFrame."""
        return self.quiz.all_results()

    # --- drawing ---------------------------------------------------------------------------

    def _render(self) -> None:
        """Draw the quiz's current state: a question waiting, or the closing summary."""
        quiz = self.quiz
        self.heading.value = f"<b>{html.escape(quiz.title)}</b>"
        self.progress.max = quiz.total
        self.progress.value = quiz.answered
        self._update_score()
        if quiz.done:
            self._render_summary()
            return
        question = quiz.current
        self.prompt.value = (f'<div class="smtplearn-quiz-question"><div>'
                             f'{html.escape(_data.load("quiz")["cli"]["heading"].format(number=quiz.index + 1, total=quiz.total))}'
                             f'</div><div style="font-size: 1.1em;">{_inline_code(question.prompt)}</div></div>')
        self.choices.options = question.choices
        self.choices.value = None
        self.choices.disabled = False
        self.submit.disabled = self.skip.disabled = False
        self.next.disabled = True
        self.next.description = _label("next")
        self.summary.value = ""
        for widget in (self.prompt, self.choices, self._buttons):
            _show(widget, True)
        _show(self.skip, quiz.mode == "practice")
        _show(self.next, quiz.mode == "practice")
        _show(self.summary, False)
        _show(self.new_round, False)
        quiz.restart_clock()
        if quiz.mode == "exam" and quiz.answered == 0:
            self.feedback.value = _message_html(_label("exam_note"), "intermediate",
                                                "smtplearn-quiz-message")
        elif quiz.mode == "practice":
            self.feedback.value = ""

    def _update_score(self) -> None:
        quiz = self.quiz
        if quiz.mode == "exam" and not quiz.done:
            self.score.value = html.escape(str(quiz.progress))
        else:
            self.score.value = html.escape(f"{quiz.score_text} · {quiz.progress}")

    def _render_summary(self) -> None:
        quiz = self.quiz
        for widget in (self.prompt, self.choices, self._buttons):
            _show(widget, False)
        rows = []
        for feedback in quiz.review():
            question = quiz.questions[feedback.number - 1]
            if feedback.given is None:
                tone, verdict = "unknown", _label("result_skipped")
            elif feedback.correct:
                tone, verdict = "success", _label("result_right")
            else:
                tone, verdict = "permanent", _label("result_wrong")
            why = ""
            if question.explanation:
                why = (f'<details class="smtplearn-quiz-why"><summary>'
                       f'{html.escape(_label("why"))}</summary>'
                       f"{_inline_code(question.explanation)}</details>")
            rows.append(
                f'<tr class="smtplearn-quiz-result smtplearn-{tone}" style="vertical-align: top;">'
                f"<td>{feedback.number}</td><td>{_inline_code(question.prompt)}{why}</td>"
                f"<td>{html.escape(feedback.given or '—')}</td>"
                f"<td>{html.escape(question.answer)}</td>"
                f'<td><span style="border-left: 6px solid {render.CLASS_COLOURS[tone]}; '
                f'padding-left: 0.4em;">{html.escape(verdict)}</span></td></tr>')
        header = "".join(f"<th>{html.escape(_label(key))}</th>" for key in
                         ("column_question", "column_given", "column_answer", "column_result"))
        self.summary.value = (
            f'<div class="smtplearn-quiz-summary-text">'
            f'<div style="font-weight: bold;">{html.escape(_label("summary_heading"))}</div>'
            f"<div>{html.escape(quiz.summary)}</div>"
            f'<table class="smtplearn-quiz-results"><thead><tr><th>#</th>{header}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")
        _show(self.summary, True)
        _show(self.new_round, True)
        if quiz.mode == "exam":
            self.feedback.value = ""

    # --- handlers ----------------------------------------------------------------------------

    def _submit(self) -> None:
        if self.quiz.done:
            self._render()
            return
        if self.choices.value is None:
            self.feedback.value = _message_html(_label("choose_first"), "transient",
                                                "smtplearn-quiz-message")
            return
        feedback = self.quiz.answer(self.choices.value)
        if self.quiz.mode == "exam":
            self._render()
            if not self.quiz.done:
                self.feedback.value = _message_html(feedback.text, "intermediate",
                                                    "smtplearn-quiz-message")
            return
        self._show_feedback(feedback)

    def _skip(self) -> None:
        if self.quiz.done:
            self._render()
            return
        feedback = self.quiz.skip()
        if self.quiz.mode == "exam":
            self._render()
            return
        self._show_feedback(feedback)

    def _show_feedback(self, feedback) -> None:
        tone = "success" if feedback.correct else ("transient" if feedback.retry else "permanent")
        self.feedback.value = _message_html(feedback.text, tone, "smtplearn-quiz-message",
                                            feedback.explanation)
        self._update_score()
        self.progress.value = self.quiz.answered
        if feedback.finished:
            self.choices.disabled = True
            self.submit.disabled = self.skip.disabled = True
            self.next.disabled = False
            self.next.description = _label("finish" if self.quiz.done else "next")

    def _next(self) -> None:
        self._render()

    def _new_round(self) -> None:
        self.quiz = self.quiz.new_round()
        self._render()

    def _show_error(self, error: BaseException) -> None:
        self.feedback.value = _error_html(error)

    def __repr__(self) -> str:
        quiz = self.quiz
        where = "finished" if quiz.done else f"question {quiz.index + 1} of {quiz.total}"
        return f"QuizWidget({quiz.title!r}, {where}, {quiz.mode})"


# ---------------------------------------------------------------------------
# ExplainWidget

class ExplainWidget(widgets.VBox, _Guarded):
    """Paste a server reply, see its ``Explanation``; bad input gets a clear message.

    Attributes: ``input`` (Textarea), ``explain`` (Button), ``output`` (HTML),
    ``explanation`` (the latest Explanation, or None), ``error`` (the latest message, or '').
    """

    def __init__(self, reply: str = "", **kwargs):
        self.explanation = None
        self.error = ""
        self.input = widgets.Textarea(value=reply, placeholder=_label("explain_placeholder"),
                                      description=_label("explain_input"), rows=3,
                                      continuous_update=False, style=_WIDE_LABEL,
                                      layout=widgets.Layout(width="95%"))
        self.explain = widgets.Button(description=_label("explain_button"),
                                      tooltip=_label("explain_tooltip"), button_style="primary")
        self.output = widgets.HTML()
        for name, widget in (("input", self.input), ("button", self.explain),
                             ("output", self.output)):
            widget.add_class(f"smtplearn-explain-{name}")
        self.input.observe(lambda _change: self._run(self._update), names="value")
        self.explain.on_click(lambda _button: self._run(self._update))
        super().__init__(children=[self.input, self.explain, self.output], **kwargs)
        self.add_class("smtplearn-explain")
        self._run(self._update)

    def _update(self) -> None:
        from smtplearn.explanation import explain

        self.explanation = None
        self.error = ""
        text = self.input.value.strip()
        if not text:
            self.output.value = _message_html(_label("explain_empty"), "unknown",
                                              "smtplearn-explain-message")
            return
        try:
            self.explanation = explain(text)
        except (ValueError, LookupError) as error:  # InvalidCodeError, ReplySyntaxError, ...
            self.error = _error_text(error)
            self.output.value = _error_html(error, "explain_invalid")
            return
        self.output.value = self.explanation._repr_html_()

    def _show_error(self, error: BaseException) -> None:
        self.explanation = None
        self.error = _error_text(error)
        self.output.value = _error_html(error)

    @property
    def text(self) -> str:
        """The explanation as plain text (or the error message)."""
        return str(self.explanation) if self.explanation is not None else self.error

    def __repr__(self) -> str:
        return f"ExplainWidget({self.input.value.strip()!r})"


# ---------------------------------------------------------------------------
# CatalogBrowser

class CatalogBrowser(widgets.VBox, _Guarded):
    """The catalog as a table, filtered by class, subject and free text.

    Attributes: ``kind`` (ToggleButtons: basic or enhanced codes), ``reply_class``,
    ``subject`` (Dropdowns; None means all), ``search`` (Text), ``count`` and ``table`` (HTML),
    ``entries`` (the catalog entries shown, in order).
    """

    def __init__(self, **kwargs):
        self.entries: list = []
        self._haystacks: dict = {}
        self.kind = widgets.ToggleButtons(
            options=[(_label("catalog_kind_basic"), "basic"),
                     (_label("catalog_kind_enhanced"), "enhanced")],
            value="basic", description=_label("catalog_kind"), style=_WIDE_LABEL)
        self.reply_class = widgets.Dropdown(description=_label("catalog_class"), style=_WIDE_LABEL)
        self.subject = widgets.Dropdown(description=_label("catalog_subject"), style=_WIDE_LABEL)
        self.search = widgets.Text(description=_label("catalog_search"),
                                   placeholder=_label("catalog_search_placeholder"),
                                   continuous_update=True, style=_WIDE_LABEL)
        self.count = widgets.HTML()
        self.table = widgets.HTML()
        self._updating = False
        for name, widget in (("kind", self.kind), ("class", self.reply_class),
                             ("subject", self.subject), ("search", self.search),
                             ("count", self.count), ("table", self.table)):
            widget.add_class(f"smtplearn-catalog-{name}")
        self._set_filter_options()
        self.kind.observe(lambda _change: self._run(self._on_kind), names="value")
        for widget in (self.reply_class, self.subject, self.search):
            widget.observe(self._on_filter, names="value")
        filters = widgets.HBox([self.reply_class, self.subject, self.search],
                               layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__(children=[self.kind, filters, self.count, self.table], **kwargs)
        self.add_class("smtplearn-catalog")
        self._run(self._update)

    def _set_filter_options(self) -> None:
        self._updating = True
        try:
            if self.kind.value == "basic":
                self.reply_class.options = [(_label("catalog_all_classes"), None)] + [
                    (str(reply_class), reply_class.value) for reply_class in codes.ReplyClass]
                self.subject.options = [(_label("catalog_all_subjects"), None)] + [
                    (str(subject), subject.value) for subject in codes.Subject]
                self.reply_class.disabled = False
            else:
                self.reply_class.options = [(_label("catalog_all_classes"), None)] + [
                    (entry.label, entry.class_digit) for entry in codes.enhanced_codes("class")]
                self.subject.options = [(_label("catalog_all_subjects"), None)] + [
                    (entry.label, entry.subject_digit) for entry in codes.enhanced_codes("subject")]
            # index 0 is the 'all' entry; value None alone would show an empty dropdown
            self.reply_class.index = 0
            self.subject.index = 0
        finally:
            self._updating = False

    def _on_kind(self) -> None:
        self._set_filter_options()
        self._update()

    def _on_filter(self, _change) -> None:
        if not self._updating:
            self._run(self._update)

    def _all_entries(self) -> list:
        if self.kind.value == "basic":
            return codes.basic_codes()
        return codes.enhanced_codes()

    def _haystack(self, entry) -> str:
        key = (type(entry).__name__, str(entry.code))
        if key not in self._haystacks:
            if isinstance(entry, codes.ReplyCode):
                parts = [str(entry.code), entry.title, *entry.enhanced]
                for meaning in entry.meanings:
                    parts += [meaning.context, meaning.source, meaning.rfc_text,
                              meaning.description, meaning.when]
            else:
                parts = [entry.code, entry.name, entry.description, entry.when,
                         entry.associated, entry.reference]
                if entry.kind == "detail":  # so that '5.1.1' finds X.1.1
                    parts += [f"{digit}.{entry.subject_digit}.{entry.detail_digit}"
                              for digit in (2, 4, 5)]
            self._haystacks[key] = " ".join(parts).casefold()
        return self._haystacks[key]

    def _matches(self, entry) -> bool:
        klass, subject = self.reply_class.value, self.subject.value
        if isinstance(entry, codes.ReplyCode):
            if klass is not None and entry.reply_class.value != klass:
                return False
            if subject is not None and entry.subject.value != subject:
                return False
        else:
            # Detail codes are written X.s.d in the registry: any class may carry them.
            if klass is not None and entry.class_digit not in (None, klass):
                return False
            if subject is not None and entry.subject_digit != subject:
                return False
        haystack = self._haystack(entry)
        return all(word in haystack for word in self.search.value.casefold().split())

    def _update(self) -> None:
        everything = self._all_entries()
        self.entries = [entry for entry in everything if self._matches(entry)]
        self.count.value = html.escape(_label("catalog_count", shown=len(self.entries),
                                              total=len(everything)))
        self.table.value = self._table_html()

    def _table_html(self) -> str:
        if not self.entries:
            return _message_html(_label("catalog_none"), "unknown", "smtplearn-catalog-message")
        header = "".join(f'<th style="text-align: left;">{html.escape(_label(key))}</th>'
                         for key in ("column_code", "column_class", "column_title",
                                     "column_description", "column_reference"))
        rows = []
        for entry in self.entries:
            if isinstance(entry, codes.ReplyCode):
                cells = (str(entry.code), render.badge_html(entry.reply_class),
                         html.escape(entry.title), html.escape(entry.description),
                         html.escape(", ".join(entry.sources)))
            else:
                badge = render.badge_html(entry.reply_class) if entry.reply_class else "—"
                cells = (html.escape(entry.code), badge, html.escape(entry.name),
                         html.escape(entry.description), html.escape(entry.reference))
            rows.append('<tr class="smtplearn-catalog-row">'
                        + "".join(f'<td style="vertical-align: top;">{cell}</td>' for cell in cells)
                        + "</tr>")
        return (f'<table class="smtplearn-catalog-entries"><thead><tr>{header}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def _show_error(self, error: BaseException) -> None:
        self.table.value = _error_html(error)

    @property
    def codes(self) -> list[str]:
        """The codes shown, as text ('250', '5.X.X', 'X.1.1')."""
        return [str(entry.code) for entry in self.entries]

    def __repr__(self) -> str:
        return f"CatalogBrowser({self.kind.value}, {len(self.entries)} entries)"
