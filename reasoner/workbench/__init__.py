"""The reviewer's workbench, served by ``necessity api`` at ``/``: a queue of the stored requests, a review
page per ClaimResponse (the patient, each line's proof, the documentation forms, the reviewer's decision
per line), plain server-rendered HTML with a stylesheet shipped in the package and no script."""
