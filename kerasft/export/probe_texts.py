"""Texts the parity gate uses when the caller gives no held-out data.

They check that every artifact answers like Keras (max |Δ|, top-1
agreement); they carry no labels, so no accuracy. Written for kerasft:
short and long, punctuation, digits, accents, quotes, non-Latin scripts.
"""

_LONG = (
    "The quarterly report, published late on Thursday after markets had "
    "closed, showed that revenue grew by 12% year on year while operating "
    "costs fell for the third consecutive quarter; analysts, who had "
    "expected a much weaker result because of the strong dollar and the "
    "slowdown in consumer spending across Europe and Asia, raised their "
    "price targets, and several said the company's decision to invest in "
    "new data centres would pay off within two years, although others "
    "warned that competition from cheaper rivals and new regulation on "
    "data privacy could still squeeze margins next year. "
)

PROBE_TEXTS = [
    "A gripping, beautiful film with a terrific cast.",
    "The plot was dull and the acting even worse.",
    "It's not bad, but I wouldn't watch it again.",
    "Shares rose 3% on Monday after strong earnings.",
    "The striker scored twice in the second half.",
    "Parliament will vote on the new budget next week.",
    "The new phone has a faster chip and a better camera.",
    "An unforgettable concert: the crowd sang every word!",
    "Service was slow, food was cold, and the bill was wrong.",
    "I loved it. Simply loved it.",
    "meh",
    "What a waste of two hours...",
    "Brilliant!!! 10/10 would recommend",
    "The central bank kept interest rates at 4.25 percent.",
    "Injury forces the champion out of the Open.",
    "Software update fixes battery drain on older models.",
    "The minister resigned amid a row over expenses.",
    "Box-office takings fell sharply this summer.",
    "Café owners in Zürich say tourists are back; naïve optimism?",
    "She said: \"this is the best album of the year\".",
    "Not the worst, not the best - just average.",
    "Prices: £5, $12.99 and €7,50 (incl. VAT).",
    "The team's defence collapsed in the final minutes.",
    "Researchers unveiled a chip that uses half the power.",
    "A slow, tedious and ultimately pointless remake.",
    "Heartfelt performances lift an otherwise ordinary script.",
    "Oil prices surged as supply fears grew.",
    "Election results are expected by midnight.",
    "The director's cut adds 40 minutes nobody asked for.",
    "Great value for money; delivery took only 2 days.",
    "Die Vorstellung war großartig.",
    "東京で新しい展示会が始まった。",
    "Top marks for the soundtrack, none for the dialogue.",
    "Hackers stole data from millions of accounts.",
    "Fans queued overnight for tickets to the final.",
    "An honest, funny and moving debut.",
    "The committee rejected the proposal 7-2.",
    "Quarterly losses widened to $1.2bn.",
    "I expected more from such a talented director.",
    _LONG * 3,
]
