// The whole of brigade's public API in one include.
#pragma once

#include <brigade/core/errors.hpp>
#include <brigade/core/scope.hpp>
#include <brigade/core/sync_wait.hpp>
#include <brigade/core/task.hpp>
#include <brigade/core/when_all.hpp>
#include <brigade/io/endpoint.hpp>
#include <brigade/io/event_loop.hpp>
#include <brigade/io/file.hpp>
#include <brigade/io/offload.hpp>
#include <brigade/io/runtime.hpp>
#include <brigade/io/signal.hpp>
#include <brigade/io/tcp.hpp>
#include <brigade/io/timeout.hpp>
#include <brigade/io/timer.hpp>
#include <brigade/io/udp.hpp>
#include <brigade/par/parallel_for.hpp>
#include <brigade/par/parallel_reduce.hpp>
#include <brigade/par/parallel_scan.hpp>
#include <brigade/par/parallel_sort.hpp>
#include <brigade/pool/future.hpp>
#include <brigade/pool/join.hpp>
#include <brigade/pool/pool.hpp>
#include <brigade/pool/task_group.hpp>
#include <brigade/trace/trace.hpp>
