// backstride web app: progress of background jobs. Plain JS, no third-party code.
"use strict";

function pollJob(element) {
  const url = element.dataset.jobUrl;
  const bar = element.querySelector(".progress > div");
  const text = element.querySelector(".job-status");
  const tick = async () => {
    let job;
    try {
      job = await (await fetch(url, { headers: { "Accept": "application/json" } })).json();
    } catch (error) {
      text.textContent = "Lost contact with backstride; retrying…";
      setTimeout(tick, 1500);
      return;
    }
    if (job.total) {
      bar.style.width = `${Math.round((100 * job.done) / job.total)}%`;
      text.textContent = `${job.label}: ${job.done} of ${job.total}`;
    } else {
      text.textContent = `${job.label}: working (${job.done} done)…`;
    }
    if (job.state === "done") {
      bar.style.width = "100%";
      window.location.assign(job.result_url);
    } else if (job.state === "failed") {
      text.textContent = job.error;
      element.classList.add("problem");
      element.setAttribute("role", "alert");
    } else {
      setTimeout(tick, 400);
    }
  };
  tick();
}

document.querySelectorAll("[data-job-url]").forEach(pollJob);
