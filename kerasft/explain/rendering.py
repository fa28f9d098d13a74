"""Explanations a person can read: shaded words in HTML and PNG.

Red words raise the explained output, blue words lower it; the shade is
the score over the largest absolute score of that explanation.
"""

import html

import numpy as np

RED, BLUE = (214, 39, 40), (31, 119, 180)


def _shade(score, scale):
    alpha = 0.0 if scale <= 0 else min(abs(score) / scale, 1.0)
    return (RED if score >= 0 else BLUE), alpha


def _html_text(text, name, words, scores, scale):
    parts, cursor = [], 0
    for w, s in zip(words, scores):
        if w["text"] != name:
            continue
        parts.append(html.escape(text[cursor:w["start"]]))
        (r, g, b), alpha = _shade(s, scale)
        parts.append(f'<span style="background: rgba({r},{g},{b},{alpha:.2f})" '
                     f'title="{s:+.4f}">{html.escape(text[w["start"]:w["end"]])}</span>')
        cursor = w["end"]
    parts.append(html.escape(text[cursor:]))
    return "".join(parts)


def explain_html(explanations, path=None, title="kerasft explanations"):
    """A self-contained HTML page (inline CSS, no scripts; every text
    escaped) showing each explanation's words shaded by score.

    Args:
        explanations: an `Explanation` or a list of them.
        path: str or None. Also writes the page there.
        title: str. Page title.

    Returns:
        str, the page.
    """
    if not isinstance(explanations, (list, tuple)):
        explanations = [explanations]
    body = []
    for e in explanations:
        for a in e.attributions or [None]:
            scores = a.scores if a is not None else np.zeros(len(e.words))
            scale = float(np.max(np.abs(scores))) if len(scores) else 0.0
            head = "no target" if a is None else ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in a.target.items())
            meta = [f"method={e.method}"]
            if a is not None:
                meta.append(f"output={a.output:.4g}")
                if a.completeness_gap is not None:
                    meta.append(f"completeness gap={a.completeness_gap:.2g} "
                                f"({'ok' if a.complete else 'over tolerance'})")
            body.append(f"<div class='e'><div class='h'>{html.escape(head)} "
                        f"<small>{html.escape('; '.join(meta))}</small></div>")
            for name, text in e.texts.items():
                body.append(f"<p><b>{html.escape(name)}</b>: "
                            f"{_html_text(text, name, e.words, scores, scale)}</p>")
            body.append("</div>")
        for w in e.warnings:
            body.append(f"<p class='w'>{html.escape(w)}</p>")
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;max-width:60em;margin:1em auto}"
        ".e{border-bottom:1px solid #ddd;padding:.5em 0}.h{font-weight:bold}"
        "small{color:#666;font-weight:normal}.w{color:#a00}"
        "span{border-radius:3px;padding:0 1px}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Red words raise the explained output, blue "
        "words lower it; hover a word for its score.</p>" + "".join(body) + "</body></html>")
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page


def plot_explanations(explanations, path, target=0, width=90):
    """Draws explanations as shaded words, one block per input, to a PNG.

    Args:
        explanations: an `Explanation` or a list of them.
        path: str. Where the PNG is written.
        target: int. Which attribution of each explanation.
        width: int. Characters per line before wrapping.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not isinstance(explanations, (list, tuple)):
        explanations = [explanations]
    lines = []  # per line: list of (word, score, scale), or a caption string
    for e in explanations:
        a = e.attributions[target] if len(e.attributions) > target else None
        scores = a.scores if a is not None else np.zeros(len(e.words))
        scale = float(np.max(np.abs(scores))) if len(scores) else 0.0
        caption = "" if a is None else ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in a.target.items())
        lines.append(caption)
        line, used = [], 0
        for w, s in zip(e.words, scores):
            if used + len(w["word"]) > width and line:
                lines.append(line)
                line, used = [], 0
            line.append((w["word"], s, scale))
            used += len(w["word"]) + 1
        lines.append(line)
    fig = plt.figure(figsize=(width * 0.11, 0.32 * len(lines) + 0.3))
    for row, line in enumerate(lines):
        y = 1 - (row + 0.7) / len(lines)
        if isinstance(line, str):
            fig.text(0.01, y, line, fontsize=9, weight="bold", va="center")
            continue
        x = 0.01
        for word, s, scale in line:
            (r, g, b), alpha = _shade(s, scale)
            fig.text(x, y, word, fontsize=10, va="center", family="monospace",
                     bbox=dict(facecolor=(r / 255, g / 255, b / 255, alpha), edgecolor="none",
                               pad=1.5))
            x += (len(word) + 1) / width * 0.98
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
