-- The page behind the menu entry. vigil-web renders plugin pages in a
-- page sandbox; the sandbox that runs hooks only checks that this file
-- exists.
return {
  title = "Example",
  body = "Flows to watched destinations carry the example_watched_flow status.",
}
