"""The Gradio app (`examples/app.py`) end to end: started as a subprocess on a tiny saved pipeline and driven in
headless Chromium through selenium; and its refusal of a missing checkpoint folder.

The browser test needs Debian's `chromium` and `chromium-driver` (`apt-get install -y chromium chromium-driver`);
where they are not installed it is skipped.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor
from nextflow_hf.pipelines import NextFlowPipeline

from ..sequences import tiny_nextflow
from ..tokenization import tiny_tokenizer

APP = Path(__file__).resolve().parents[2] / "examples" / "app.py"
STARTUP_TIMEOUT_S = 60
BROWSER_TIMEOUT_S = 30


def app_environment(model_folder: Path, tmp_path: Path, port: int = 0) -> dict[str, str]:
    """The environment of an app subprocess: the checkpoint, a local address, and no calls home."""
    return {
        **os.environ,
        "NEXTFLOW_MODEL": str(model_folder),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(tmp_path / "gradio"),
        "HF_HUB_OFFLINE": "1",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    """Polls `url` until it answers; fails with the app's output when the app exits or does not come up."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The app exited with code {process.returncode} before serving:\n{log.read_text()}")
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"The app did not answer at {url} within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def tiny_pipeline_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random pipeline (16×16 images at its level 16) saved with `save_pretrained`."""
    model = tiny_nextflow()
    image_processor = NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16)
    pipeline = NextFlowPipeline(model=model, processor=NextFlowProcessor(image_processor, tiny_tokenizer()))
    folder = tmp_path_factory.mktemp("tiny-pipeline")
    pipeline.save_pretrained(folder)
    return folder


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium under chromedriver, both from the system; skips the test where they are missing."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        missing = " and ".join(name for name, path in [("chromium", binary), ("chromedriver", driver)] if not path)
        pytest.skip(
            f"Chromium is not installed: no {missing} on PATH. Install Debian's packages with "
            "`apt-get install -y chromium chromium-driver` (`make browser`)."
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
        options.add_argument(argument)
    chrome = webdriver.Chrome(options=options, service=Service(driver))
    yield chrome
    chrome.quit()


@pytest.fixture
def app_url(tiny_pipeline_folder: Path, tmp_path: Path) -> Iterator[str]:
    """The address of the app serving the tiny pipeline, in a subprocess stopped after the test."""
    port = free_port()
    log = tmp_path / "app.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [sys.executable, str(APP)],
            env=app_environment(tiny_pipeline_folder, tmp_path, port),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_serving(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def loaded_image(page: WebDriver, container_id: str) -> WebElement | None:
    """The first fully loaded `<img>` inside the element `container_id`, if any."""
    for image in page.find_elements(By.CSS_SELECTOR, f"#{container_id} img"):
        if page.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", image):
            return image
    return None


def test_generate_tab_draws_an_image_of_the_pipeline_size(browser: WebDriver, app_url: str):
    browser.get(app_url)
    wait = WebDriverWait(browser, BROWSER_TIMEOUT_S)
    prompt = wait.until(lambda page: page.find_element(By.CSS_SELECTOR, "#generate-prompt textarea"))
    button = browser.find_element(By.ID, "generate-button")

    button.click()  # an empty prompt is refused in the UI
    wait.until(lambda page: "Please enter a prompt." in page.find_element(By.TAG_NAME, "body").text)

    prompt.send_keys("two red circles above a blue square")
    button.click()
    image = wait.until(lambda page: loaded_image(page, "generate-image"))
    size = browser.execute_script("return [arguments[0].naturalWidth, arguments[0].naturalHeight];", image)
    assert size == [16, 16]
    assert image.get_attribute("src").endswith(".png")


def test_app_refuses_a_missing_checkpoint(tmp_path: Path):
    missing = tmp_path / "no-such-checkpoint"
    result = subprocess.run(
        [sys.executable, str(APP)],
        env=app_environment(missing, tmp_path),
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT_S,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"No NextFlow checkpoint at {missing}" in result.stderr
    assert "No trained checkpoint ships yet" in result.stderr
    assert "NEXTFLOW_MODEL" in result.stderr
