using Pipeline.Ingest.Worker;

namespace Pipeline.Tests.Ingest.Worker;

public sealed class StopTicksTests
{
    [Fact]
    public async Task Cancelling_the_token_ends_a_pending_wait_with_false_not_an_exception()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        using var cts = new CancellationTokenSource();
        using var stop = StopTicks.On(timer, cts.Token);
        var wait = timer.WaitForNextTickAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        await cts.CancelAsync();

        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_token_cancelled_before_the_loop_starts_ends_it_at_once()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        using var stop = StopTicks.On(timer, new CancellationToken(canceled: true));

        Assert.False(await timer.WaitForNextTickAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Ticks_keep_coming_until_the_token_is_cancelled()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        using var cts = new CancellationTokenSource();
        using var stop = StopTicks.On(timer, cts.Token);

        Assert.True(await timer.WaitForNextTickAsync(CancellationToken.None));
        Assert.True(await timer.WaitForNextTickAsync(CancellationToken.None));
        await cts.CancelAsync();
        Assert.False(await timer.WaitForNextTickAsync(CancellationToken.None));
    }
}
