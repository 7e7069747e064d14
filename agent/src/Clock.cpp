#include <gp/agent/Clock.hpp>
