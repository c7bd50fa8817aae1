"""Print a saved model: prior, and m, u and weight of every level."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

model = json.loads(Path(sys.argv[1]).read_text())
p = model["probability_two_random_records_match"]
print(f"prior {p:.3g} weight {math.log2(p / (1 - p)):.2f}")
for comp in model["comparisons"]:
    print(comp["output_column_name"])
    for lv in comp["comparison_levels"]:
        m, u = lv.get("m_probability"), lv.get("u_probability")
        w = math.log2(m / u) if m and u else float("nan")
        tf = " TF" if lv.get("tf_adjustment_column") else ""
        print(
            f"   m={m if m is None else round(m, 5)!s:>9} u={u if u is None else f'{u:.2e}'!s:>9} w={w:6.2f}  {lv['label_for_charts']}{tf}"
        )
