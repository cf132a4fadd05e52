import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressBook } from './address-book.js';

const e = (ip: string, port: number) => ({ ip, port });

test('the NAT-observed endpoint comes first, announced ones follow without loopback or duplicates', () => {
  const book = new AddressBook(10);
  assert.equal(
    book.setAnnounced('b', [e('127.0.0.1', 5582), e('10.0.0.2', 5582), e('10.0.0.2', 5582), e('::1', 5582)]),
    true,
  );
  assert.equal(book.setNatObserved('b', e('203.0.113.5', 40000)), true);
  assert.deepEqual(book.endpointsOf('b'), [e('203.0.113.5', 40000), e('10.0.0.2', 5582)]);
});

test('a device without usable endpoints has none to list', () => {
  const book = new AddressBook(10);
  assert.equal(book.setAnnounced('b', [e('127.0.0.1', 5582)]), false);
  assert.equal(book.setNatObserved('b', e('127.0.0.1', 5582)), false);
  assert.deepEqual(book.endpointsOf('b'), []);
});

test('only a change in what would be listed counts as a change', () => {
  const book = new AddressBook(10);
  book.setAnnounced('b', [e('10.0.0.2', 5582)]);
  assert.equal(book.setAnnounced('b', [e('10.0.0.2', 5582), e('127.0.0.1', 5582)]), false);
  book.setNatObserved('b', e('203.0.113.5', 40000));
  assert.equal(book.setNatObserved('b', e('203.0.113.5', 40000)), false);
  assert.equal(book.setNatObserved('b', e('203.0.113.5', 40001)), true);
});

test('interest outlives the target going offline but not the asker', () => {
  const book = new AddressBook(10);
  book.noteInterest('a', 'b');
  book.noteInterest('c', 'b');
  book.forget('b');
  assert.deepEqual(book.askersOf('b'), ['a', 'c']);
  book.forget('a');
  assert.deepEqual(book.askersOf('b'), ['c']);
});

test('an asker keeps only its most recent interests', () => {
  const book = new AddressBook(2);
  book.noteInterest('a', 'x');
  book.noteInterest('a', 'y');
  book.noteInterest('a', 'x');
  book.noteInterest('a', 'z');
  assert.deepEqual(book.askersOf('y'), []);
  assert.deepEqual(book.askersOf('x'), ['a']);
  assert.deepEqual(book.askersOf('z'), ['a']);
  assert.equal(book.size.interests, 2);
});
