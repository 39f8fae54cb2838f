"""The clinical HTML report: right numbers behind each figure, and it renders in a browser."""

import re
import shutil
import tempfile
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from metamed.automl.estimator import MetaClassifier
from metamed.automl.persistence import load_model
from metamed.cli import main
from metamed.data.validation import make_task
from metamed.evaluation.metrics import roc_auc
from metamed.report import build_report, curves

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "medical_data.csv"


def _figure_data(html: str, kind: str) -> dict[str, str]:
    """The data-* attributes of the first figure of one kind."""
    tag = re.search(rf'<figure data-kind="{kind}"([^>]*)>', html)
    assert tag, f"no {kind} figure in the report"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(1)))


# --- the numbers behind the figures, on inputs whose answers are known ---------------------

def test_decision_curve_matches_its_definition():
    is_positive = np.array([True, True, False, False, False])
    score = np.array([0.9, 0.4, 0.6, 0.2, 0.1])
    thresholds = np.array([0.1, 0.3, 0.5])
    curve = curves.decision_curve(is_positive, score, thresholds)
    prevalence = 2 / 5
    odds = thresholds / (1 - thresholds)
    np.testing.assert_allclose(curve.treat_all, prevalence - (1 - prevalence) * odds)
    np.testing.assert_allclose(curve.treat_none, 0)
    # at 0.5: flagged 0.9 (TP) and 0.6 (FP): (1 - 1 * 1) / 5
    expected_model = [(2 - 3 * odds[0]) / 5, (2 - 1 * odds[1]) / 5, (1 - 1 * odds[2]) / 5]
    np.testing.assert_allclose(curve.model, expected_model)


def test_a_perfect_model_has_net_benefit_equal_to_prevalence():
    rng = np.random.default_rng(0)
    is_positive = rng.random(200) < 0.3
    curve = curves.decision_curve(is_positive, is_positive.astype(float))
    np.testing.assert_allclose(curve.model, is_positive.mean())


def test_calibration_bins_on_known_groups():
    score = np.r_[np.full(5, 0.1), np.full(5, 0.9)]
    is_positive = np.array([1, 0, 0, 0, 0, 1, 1, 1, 1, 0], dtype=bool)
    bins = curves.calibration_bins(is_positive, score)
    np.testing.assert_allclose(bins.predicted, [0.1, 0.9])
    np.testing.assert_allclose(bins.observed, [0.2, 0.8])
    assert bins.count.tolist() == [5, 5]


def test_roc_and_pr_areas_agree_with_scikit_learn_with_ties():
    rng = np.random.default_rng(1)
    is_positive = rng.random(300) < 0.25
    score = np.round(rng.random(300) * 0.5 + 0.4 * is_positive, 1)  # many ties
    fpr, tpr = curves.roc_curve(is_positive, score)
    recall, precision = curves.pr_curve(is_positive, score)
    assert curves.area(fpr, tpr) == pytest.approx(roc_auc_score(is_positive, score), abs=1e-12)
    assert curves.area(fpr, tpr) == pytest.approx(roc_auc(is_positive, score), abs=1e-12)
    assert curves.average_precision(recall, precision) == pytest.approx(
        average_precision_score(is_positive, score), abs=1e-12)


def test_threshold_table_counts_and_rates():
    is_positive = np.array([True, True, True, False, False, False, False])
    score = np.array([0.8, 0.6, 0.3, 0.7, 0.2, 0.1, 0.05])
    row = curves.threshold_table(is_positive, score, (0.5,))[0]
    assert (row["tp"], row["fp"], row["tn"], row["fn"]) == (2, 1, 3, 1)
    assert row["sensitivity"] == pytest.approx(2 / 3)
    assert row["specificity"] == pytest.approx(3 / 4)
    assert row["ppv"] == pytest.approx(2 / 3)
    assert row["npv"] == pytest.approx(3 / 4)


# --- a report for the bundled example, written by `metamed fit --report` --------------------

@pytest.fixture(scope="module")
def example_report(tiny_kb, tmp_path_factory):
    """The bundled ICU example fit with a small budget; its model and report paths."""
    folder = tmp_path_factory.mktemp("report")
    model_path, report_path = folder / "model.skops", folder / "report.html"
    with pytest.raises(SystemExit) as done:
        main(["fit", str(EXAMPLE), "--target", "label", "--kb", tiny_kb, "--time-budget", "8",
              "--outer-folds", "3", "--out", str(model_path), "--report", str(report_path)])
        raise SystemExit(0)
    assert done.value.code == 0
    return model_path, report_path


def test_report_figures_show_the_honest_numbers(example_report):
    model_path, report_path = example_report
    model, html = load_model(model_path), report_path.read_text()
    roc = _figure_data(html, "roc")
    assert float(roc["auc"]) == pytest.approx(model.cv_results_["roc_auc"].estimate, abs=1e-6)
    assert float(_figure_data(html, "confusion")["total"]) == len(model.oof_target_)
    prevalence = np.mean(model.oof_target_ == list(model.classes_).index("Yes"))
    assert float(_figure_data(html, "decision")["prevalence"]) == pytest.approx(prevalence)
    for section in ("Data", "Why these pipelines", "Honest performance", "What drives the model",
                    "Model card (TRIPOD+AI)"):
        assert f">{section}</h2>" in html
    assert html.count('data-kind="dependence"') == 3
    assert "'label' with classes No, Yes; positive class 'Yes'" in unescape(html)
    auc = model.baseline_comparison_["roc_auc"]
    assert f"Against plain logistic regression: {model.verdict_}" in unescape(html)
    assert f"{auc.low:+.3f} – {auc.high:+.3f}" in unescape(html)  # the paired CI, in a table


def test_report_is_self_contained_and_has_no_patient_rows(example_report):
    _, report_path = example_report
    html = report_path.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html)  # no network assets
    assert "<script" not in html
    assert ">Patient rows</h2>" not in html


def test_report_command_from_the_saved_model(example_report, tmp_path, capsys):
    model_path, _ = example_report
    out = tmp_path / "again.html"
    with pytest.raises(SystemExit) as done:
        main(["report", str(model_path), "--out", str(out)])
        raise SystemExit(0)
    assert done.value.code == 0
    html = out.read_text()
    assert "Pass the table with" in html  # importance needs --data, and the report says so
    assert 'data-kind="importance"' not in html
    assert 'data-kind="roc"' in html


def test_patient_rows_only_on_request(example_report, tmp_path, capsys):
    from metamed.data.io import load_task
    from metamed.report.sections import rows_section

    model = load_model(example_report[0])
    section = rows_section(model, load_task(EXAMPLE, "label"))
    assert section.title == "Patient rows"
    assert section.body.count("<tr>") == 1 + 200  # header + every row of the example
    with pytest.raises(SystemExit) as done:
        main(["report", str(example_report[0]), "--data", str(EXAMPLE)])
    assert done.value.code == 2
    assert "--data and --target go together" in capsys.readouterr().err


def test_multiclass_report_uses_one_vs_rest_curves(tiny_kb):
    rng = np.random.default_rng(1)
    n = 120
    frame = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    frame["y"] = np.select([frame.a > 0.4, frame.b > 0], ["x", "y"], "z")
    task = make_task(frame, "y", name="three")
    model = MetaClassifier(kb=tiny_kb, time_budget=6, outer_splits=3).fit_task(task)
    html = build_report(model)
    roc = _figure_data(html, "roc")
    assert float(roc["curves"]) == 3
    assert float(roc["auc"]) == pytest.approx(model.cv_results_["roc_auc"].estimate, abs=1e-6)
    assert "one-vs-rest for each class" in html
    assert html.count('data-kind="decision"') == 3


# --- the report in a real browser ----------------------------------------------------------

def _chromium_driver():
    """Headless Debian chromium through its chromedriver, or a skip saying what is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed "
                    "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='metamed-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_renders_in_headless_chromium(example_report):
    import base64

    _, report_path = example_report
    browser = _chromium_driver()
    try:
        browser.get(report_path.as_uri())
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);")
        figures = browser.execute_script("return document.querySelectorAll('figure').length;")
        height = browser.execute_script("return document.documentElement.scrollHeight;")
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1200, "height": height, "scale": 1}})
    finally:
        browser.quit()
    assert errors == []
    assert len(images) == figures >= 9
    assert all(complete and width > 0 for complete, width in images)
    artifact = ROOT / "artifacts" / "report-screenshot.png"
    artifact.parent.mkdir(exist_ok=True)
    artifact.write_bytes(base64.b64decode(shot["data"]))
    assert artifact.stat().st_size > 10_000


def test_importing_the_report_leaves_the_users_matplotlib_backend_alone():
    import subprocess
    import sys

    code = ("import matplotlib; matplotlib.use('svg'); import metamed.report.figures, "
            "metamed.report; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"
