// Realistic-looking customer profiles for the benchmark: Chinese names from
// common surnames and given-name characters, phones, e-mail for about half,
// birthdays, genders and shopping preferences.
//
// Realism matters for the numbers: name search scans `display_name`, so the
// names must be about as diverse as real ones (~190,000 distinct full names
// here, not a handful), and pages must carry realistic row sizes.
#ifndef RETAIL_TESTS_BENCH_FAKE_PEOPLE_H_
#define RETAIL_TESTS_BENCH_FAKE_PEOPLE_H_

#include <cstdint>
#include <random>
#include <string>

#include "retail/customers/v1/customers.pb.h"

namespace retail::bench {

// "B001".."B999": the branch with 1-based number `n`.
std::string BranchId(int n);

// A Chinese mobile number (1[3-9] and 9 digits) that is distinct for every
// n < 7,000,000,000 with the same `salt`: n is mapped through a bijection of
// that range, so numbers look random but never collide.
std::string ChineseMobile(uint64_t n, uint64_t salt);

class PeopleGenerator {
 public:
  explicit PeopleGenerator(uint64_t seed) : rng_(seed) {}

  // A full name, e.g. 王小明 or 欧阳娜.
  std::string Name();

  // Fills the fields a store clerk types in: display_name, email (about
  // half; `n` keeps it unique), birthday (most), gender, preferences,
  // marketing consent and, rarely, notes. Leaves branch, phone and the
  // output-only fields alone.
  void FillProfile(uint64_t n, customers::v1::Customer* c);

  std::mt19937_64& rng() { return rng_; }
  // Uniform in [lo, hi].
  int64_t Uniform(int64_t lo, int64_t hi);
  // True with probability p.
  bool Chance(double p);

 private:
  std::mt19937_64 rng_;
};

}  // namespace retail::bench

#endif  // RETAIL_TESTS_BENCH_FAKE_PEOPLE_H_
