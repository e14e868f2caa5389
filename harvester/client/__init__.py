"""HTTP stage: request shapes, paging strategies, the error table and the session-per-account client."""
