// Widget tests in Debian's Chromium (@web/test-runner + @web/test-runner-chrome). The widget arrives with issue #4;
// this is where its tests will be configured.
export default {
  files: 'test/widget/**/*.test.ts',
  nodeResolve: true,
};
