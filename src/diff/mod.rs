//! What a rubric change does to a corpus (being built; see issue 12).
