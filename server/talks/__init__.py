"""The talk loop (谈心谈话, seed 001 annex 4): request → answer in 3 working days → talk →
record → problem list → follow-up (回头看) → close-out (销号), plus the must-talk triggers
(八必谈), half-year coverage and the June/December reports.

Two BPMN processes carry a talk: ``talk_request`` (a member asks; the contact answers,
escalating to the secretary after 3 working days) and ``talk`` (the secretary starts a
must-talk, periodic or topical talk, or another family starts one: the campaign's
appraisal, through ``server.bridges.appraisal_talks``). Both end in the same
``RecordTalk`` and ``CloseOut`` tasks.

* ``terms``: the vocabulary; ``permissions``: who may do what;
* ``starts``: requests, secretary-led talks and must-talks;
* ``records``: the ``talk`` row kept in step with its instance (save hook, completion handlers);
* ``problems``: follow-up and close-out of problem items; ``views``: what readers see;
* ``coverage``, ``reports``, ``documents``: half-year coverage, reports, DOCX and XLSX;
* ``family``: what all this plugs into the workflow.
"""
