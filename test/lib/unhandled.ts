// Loaded into every mocha process (.mocharc.json "require"). Node ends a real process on an unhandled
// rejection, but mocha swallows them, so a controller run in-process by a test could hide a crash it would
// have in production. Rethrown, they fail the test that was running.
process.on('unhandledRejection', (reason) => {
  throw reason;
});
