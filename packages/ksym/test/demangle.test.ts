// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { demangle, isMangled } from '../src/index.js';

describe('demangle', () => {
  it('demangles Rust legacy names without the hash', () => {
    expect(
      demangle(
        '_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h6e6e32b5e5ae1a5bE',
      ),
    ).toBe('core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>');
    expect(demangle('_ZN7axvisor3vmm4vcpu3run17h0123456789abcdefE')).toBe(
      'axvisor::vmm::vcpu::run',
    );
  });

  it('demangles Rust v0 names', () => {
    expect(demangle('_RNvCs1234_7mycrate3foo')).toBe('mycrate::foo');
  });

  it('demangles C++ Itanium names', () => {
    expect(demangle('_ZNSt6vectorIiSaIiEE9push_backERKi')).toBe(
      'std::vector<int, std::allocator<int> >::push_back(int const&)',
    );
    expect(demangle('_Z3fooi')).toBe('foo(int)');
  });

  it('leaves plain C names and invalid mangled-looking names unchanged', () => {
    for (const name of [
      'do_fork',
      'schedule',
      '_start',
      '__x64_sys_read',
      '_ZZ',
      '_Rubbish',
      '$x',
      '',
    ]) {
      expect(demangle(name)).toBe(name);
    }
  });

  it('tells mangled-looking names apart', () => {
    expect(['_ZN3foo3barE', '_RNvC3foo3bar', '__ZN3foo3barE'].map(isMangled)).toEqual([
      true,
      true,
      true,
    ]);
    expect(['do_fork', '_start', 'Z', '_'].map(isMangled)).toEqual([false, false, false, false]);
  });
});
