// backstride web app: progress of background jobs. Plain JS, no third-party code.
"use strict";

function pollJob(element) {
  const url = element.dataset.jobUrl;
  const bar = element.querySelector(".progress > div");
  const text = element.querySelector(".job-status");
  const failed = (sentence) => {  // the error page's heading and next step, as a page has
    text.textContent = sentence;
    element.classList.add("problem");
    element.setAttribute("role", "alert");
    const heading = document.querySelector("main h1");
    if (heading) heading.textContent = "That did not work";
    const actions = element.querySelector("[data-job-actions]");
    if (actions) actions.hidden = false;
  };
  const tick = async () => {
    let job;
    let response;
    try {
      response = await fetch(url, { headers: { "Accept": "application/json" } });
    } catch (error) {  // the server is not answering (restarting?): keep asking
      text.textContent = "Lost contact with backstride; retrying…";
      setTimeout(tick, 1500);
      return;
    }
    if (response.status === 404) {  // no such job (any more): say so and stop asking
      failed("backstride no longer knows this job (it was restarted or the job " +
        "finished long ago). Anything stored is in your history; upload the file again if " +
        "it is missing.");
      return;
    }
    try {
      job = await response.json();
    } catch (error) {  // a page instead of JSON (the database is down): try again shortly
      text.textContent = "backstride cannot read this job right now; retrying…";
      setTimeout(tick, 1500);
      return;
    }
    if (job.total && bar) {
      bar.style.width = `${Math.round((100 * job.done) / job.total)}%`;
    }
    // The server says what it counts and the time left: "frame 360 of 720, about 40 s left".
    text.textContent = `${job.label}: ${job.progress}`;
    if (job.state === "done") {
      if (bar) bar.style.width = "100%";
      window.location.replace(job.result_url);  // back goes to the form, not this job
    } else if (job.state === "failed" || job.state === "lost") {
      failed(job.error);
    } else {
      setTimeout(tick, 400);
    }
  };
  tick();
}

document.querySelectorAll("[data-job-url]").forEach(pollJob);
