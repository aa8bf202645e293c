//! How brittle each rubric item is (being built; see issue 12).
