import { describe, expect, it } from '@jest/globals';
import { origin, pathValue, queryValue, requestUrl, testcasePath } from './werkzeug.js';

// Every expected value is what Flask 3.1 and Werkzeug 3.1 answered for the same input.

describe('pathValue and queryValue, as url_for writes a value', () => {
  it.each([
    [
      'fedora-ci.koji-build./plans/basic.functional',
      'fedora-ci.koji-build./plans/basic.functional',
    ],
    ['x/y:z@w', 'x/y:z@w'],
    ["!$&'()*+,;=", "!$&'()*+,;="],
    ['~_.-', '~_.-'],
    ['a b+c', 'a%20b+c'],
    ['é', '%C3%A9'],
    ['?#[]%"<>\\^`{|}', '%3F%23%5B%5D%25%22%3C%3E%5C%5E%60%7B%7C%7D'],
    ['\x7f\x01\n', '%7F%01%0A'],
  ])('writes %j in a path as %s', (value, written) => {
    expect(pathValue(value)).toBe(written);
  });

  it.each([
    ['x/y:z@w', 'x/y:z@w'],
    ["!$&'()*+,;=", "!$%26'()*%2B,;%3D"],
    ['a b+c', 'a+b%2Bc'],
    ['é', '%C3%A9'],
    ['?#[]%"<>\\^`{|}', '?%23%5B%5D%25%22%3C%3E%5C%5E%60%7B%7C%7D'],
  ])('writes %j in a query as %s', (value, written) => {
    expect(queryValue(value)).toBe(written);
  });
});

describe('origin, as url_for and request.url start', () => {
  it.each([
    ['http', 'EXAMPLE.com:80', 'http://example.com'],
    ['http', 'Example.COM', 'http://example.com'],
    ['http', '[::1]:80', 'http://[::1]'],
    ['http', 'h:8080', 'http://h:8080'],
    ['http', 'h:443', 'http://h:443'],
    ['https', 'h:443', 'https://h'],
  ])('writes %s with Host %s as %s', (protocol, host, written) => {
    expect(origin(protocol, host)).toBe(written);
  });
});

describe('requestUrl, as Werkzeug gives back request.url', () => {
  it.each([
    ['/api/v2.0/testcases/a%2Fb/results', '/api/v2.0/testcases/a/b/results'],
    ['/api/v2.0/testcases/c:d@e/results?a=b+c', '/api/v2.0/testcases/c:d@e/results?a=b+c'],
    ['/api/v2.0/testcases/s%20p', '/api/v2.0/testcases/s%20p'],
    ['/api/v2.0/testcases/q%3Fx%23y', '/api/v2.0/testcases/q%3Fx%23y'],
    ['/api/v2.0/testcases/x%25y/results', '/api/v2.0/testcases/x%y/results'],
    // Werkzeug's own: the decoded `%41` is decoded again.
    ['/api/v2.0/testcases/%2541/results', '/api/v2.0/testcases/A/results'],
    [
      '/api/v2.0/testcases/%C3%A9/%C3%BC?page=0&item=%C3%A9%2C%2A%20x',
      '/api/v2.0/testcases/é/ü?page=0&item=é,*%20x',
    ],
    [
      '/api/v2.0/testcases/a/results?page=1&a=%2F%3F%26%3D%2B%23%25%20%41%C3%A9%FF%3b%2C+z%7e%e2%82',
      '/api/v2.0/testcases/a/results?page=1&a=/?%26%3D%2B%23%25%20Aé%FF;,+z~%E2%82',
    ],
    [
      '/api/v2.0/testcases/a%20b%22%3C%3E%60%7B%7D%7C%5C%5E%5B%5D~/results?x="<>`{}|\\^[]',
      '/api/v2.0/testcases/a%20b"<>`{}|\\^[]~/results?x="<>`{}|\\^[]',
    ],
    ['/api/v2.0/results/?a=%41=%2541%25%34%31', '/api/v2.0/results/?a=A=%2541%2541'],
    ['/api/v2.0/testcases/%C3%A9%FF/results', '/api/v2.0/testcases/é\ufffd/results'],
    ['/api/v2.0/results?', '/api/v2.0/results'],
  ])('gives back %s as %s', (url, back) => {
    expect(requestUrl('http://127.0.0.1:5099', url)).toBe(`http://127.0.0.1:5099${back}`);
  });
});

describe('testcasePath, as /testcases/<path:testcase_name>[/results] match', () => {
  it.each([
    ['a', { name: 'a', results: false }],
    ['a/b', { name: 'a/b', results: false }],
    ['a/b/results', { name: 'a/b', results: true }],
    ['results', { name: 'results', results: false }],
    ['results/results', { name: 'results', results: true }],
    ['a/results/results', { name: 'a/results', results: true }],
    ['a/results/', { name: 'a/results/', results: false }],
    ['a//b', { name: 'a//b', results: false }],
    ['\nb', { name: '\nb', results: false }],
    ['a\r\tb', { name: 'a\r\tb', results: false }],
    ['', null],
    ['/lead', null],
    ['/results', null],
    ['a\nb', null],
    ['a\n/results', null],
  ])('takes %j as %j', (rest, route) => {
    expect(testcasePath(rest)).toEqual(route);
  });
});
