#include <gp/Result.hpp>
