using System.Text.Json;
using SwooleGateway.Tests.Infrastructure;

namespace SwooleGateway.Tests;

/// <summary>
/// Issue 10: the chat sample, all in one process, driven like a user would in headless Chromium with two (then three)
/// pages: join, a room message, a private message, the live member list (the same nickname on two tabs is one member),
/// the history sent on join, and leaving. Takes the screenshot in the sample's README.
/// </summary>
[TestFixture]
[NonParallelizable]
[CancelAfter(180_000)]
public sealed class ChatSampleTests
{
    [Test]
    public async Task Two_browsers_join_talk_whisper_see_each_other_and_leave()
    {
        HeadlessChromium.SkipUnlessInstalled();
        string sample = Repository.SampleOutput("SwooleGateway.Samples.Chat");
        int registerPort = Repository.FreePort();
        using RoleProcess chat = RoleProcess.StartFile("dotnet", sample, Path.Combine(sample, "SwooleGateway.Samples.Chat.dll"), "--all-in-one",
            "--Chat:PageUrl=http://127.0.0.1:0", $"--SwooleGateway:Register:Listen=127.0.0.1:{registerPort}", $"--SwooleGateway:Registers:0=127.0.0.1:{registerPort}",
            "--SwooleGateway:Gateway:Internal=127.0.0.1:0", "--SwooleGateway:Gateway:Listeners:0:Endpoint=127.0.0.1:0", "--SwooleGateway:Gateway:Listeners:1:Endpoint=127.0.0.1:0");
        await chat.WaitForOutput("Connected to gateway");
        string url = $"http://{await chat.WaitForEndPoint("Now listening on: http://")}/";

        (HeadlessChromium browser, Uri devTools) = await DevToolsPage.StartBrowserAsync();
        await using (browser)
        {
            await using DevToolsPage alice = await Open(devTools, url);
            await using DevToolsPage bob = await Open(devTools, url);

            await Join(alice, "alice", "lobby");
            await alice.WaitForAsync("document.getElementById('members').innerText.includes('alice (you)')", "alice in the member list");
            await Join(bob, "bob", "lobby");
            await alice.WaitForAsync("document.getElementById('members').innerText.includes('bob')", "alice sees bob join");
            Assert.That(await alice.TextAsync("#messages"), Does.Contain("bob joined"));
            Assert.That(await Members(bob), Is.EqualTo(new[] { "alice", "bob (you)" }));

            // A room message, then a private one chosen from the member list.
            await Say(alice, "hello bob");
            await bob.WaitForAsync("document.getElementById('messages').innerText.includes('hello bob')", "bob gets alice's message");
            await bob.EvaluateAsync("document.getElementById('to').value = 'alice'");
            await Say(bob, "a secret for alice");
            await alice.WaitForAsync("document.getElementById('messages').innerText.includes('a secret for alice')", "alice gets bob's private message");
            Assert.That((await alice.EvaluateAsync("document.querySelector('#messages li.pm .from').innerText")).GetString(), Is.EqualTo("from bob"));

            // Alice on a second tab is the same member; the newcomer gets the room's history.
            await using (DevToolsPage aliceAgain = await Open(devTools, url))
            {
                await Join(aliceAgain, "alice", "lobby");
                await aliceAgain.WaitForAsync("document.getElementById('messages').innerText.includes('hello bob')", "the history on join");
                Assert.That(await aliceAgain.TextAsync("#messages"), Does.Not.Contain("a secret for alice"), "private messages are not history");
                Assert.That(await Members(bob), Is.EqualTo(new[] { "alice", "bob (you)" }), "two tabs, one alice");
            }

            await alice.ScreenshotAsync(Path.Combine(Repository.Root, "samples", "SwooleGateway.Samples.Chat", "screenshot.png"));

            // Bob leaves: alice sees the notice and the member list shrink.
            await bob.EvaluateAsync("document.getElementById('leave').click()");
            await alice.WaitForAsync("document.getElementById('messages').innerText.includes('bob left')", "alice sees bob leave");
            await alice.WaitForAsync("!document.getElementById('members').innerText.includes('bob')", "bob off the member list");
            await bob.WaitForAsync("!document.getElementById('login').classList.contains('hidden')", "bob back at the join form");
        }

        Assert.That(await chat.TerminateAsync(TimeSpan.FromSeconds(30)), Is.Zero);
    }

    private static async Task<DevToolsPage> Open(Uri devTools, string url)
    {
        DevToolsPage page = await DevToolsPage.OpenAsync(devTools, url);
        await page.WaitForAsync("document.getElementById('status') && document.getElementById('status').innerText === 'connected'", "the page to connect");
        return page;
    }

    private static async Task Join(DevToolsPage page, string nick, string room)
    {
        await page.EvaluateAsync($"document.getElementById('nick').value = '{nick}'; document.getElementById('room').value = '{room}'; " +
            "document.getElementById('join-form').requestSubmit()");
        await page.WaitForAsync("!document.getElementById('chat').classList.contains('hidden')", nick + " in the room");
    }

    private static async Task Say(DevToolsPage page, string text)
    {
        await page.EvaluateAsync($"document.getElementById('text').value = {JsonSerializer.Serialize(text)}; document.getElementById('say-form').requestSubmit()");
    }

    private static async Task<string[]> Members(DevToolsPage page) =>
        [.. (await page.EvaluateAsync("[...document.querySelectorAll('#members li')].map(li => li.innerText)")).EnumerateArray().Select(e => e.GetString()!)];
}
